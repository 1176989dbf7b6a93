import { toMessageHeaders } from './headers';

describe('toMessageHeaders', () => {
  it('keeps strings and bytes, writes numbers and booleans as text and tables as JSON, drops empties', () => {
    const bytes = Buffer.from('raw');
    expect(
      toMessageHeaders({
        id: 'e-1',
        raw: bytes,
        count: 3,
        redelivered: true,
        'x-death': [{ count: 1, reason: 'delivery_limit' }],
        missing: undefined,
        nothing: null,
      }),
    ).toEqual({
      id: 'e-1',
      raw: bytes,
      count: '3',
      redelivered: 'true',
      'x-death': '[{"count":1,"reason":"delivery_limit"}]',
    });
  });

  it('gives an empty set for a message without headers', () => {
    expect(toMessageHeaders(undefined)).toEqual({});
  });
});
