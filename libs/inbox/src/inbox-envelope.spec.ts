import { decodeEnvelope } from './inbox-envelope';
import { PermanentMessageError } from './inbox-errors';

const valid = { id: '5b0c3c1e-8f43-4a53-9b55-3f1f4a2d6e01', type: 'thing.happened.v1', data: { n: 1 } };

describe('decodeEnvelope', () => {
  it('decodes a JSON envelope', () => {
    expect(decodeEnvelope(Buffer.from(JSON.stringify(valid)))).toEqual(valid);
  });

  it('decodes an envelope that only names a forbidden key as a value', () => {
    const named = { ...valid, data: { n: 1, note: '"prototype"', path: 'C:\\x' } };
    expect(decodeEnvelope(Buffer.from(JSON.stringify(named)))).toEqual(named);
  });

  it.each([
    ['an empty value', null, 'empty message'],
    ['bytes that are not JSON', Buffer.from([0xff, 0xfe, 0x00]), 'message value is not JSON'],
    ['a JSON array', Buffer.from('[1,2]'), 'message value is not a JSON object'],
    [
      'an envelope without a uuid id',
      Buffer.from(JSON.stringify({ ...valid, id: '42' })),
      'envelope.id must be a uuid',
    ],
    ['an envelope without a type', Buffer.from(JSON.stringify({ ...valid, type: '' })), 'envelope.type is missing'],
    [
      'a type a log line should not repeat',
      Buffer.from(JSON.stringify({ ...valid, type: 'Ada Lovelace, 12 Byron Street' })),
      'envelope.type is not an event type name (letters, digits and . _ : / -, up to 200)',
    ],
    [
      'a type too long to name',
      Buffer.from(JSON.stringify({ ...valid, type: `t.${'x'.repeat(300)}` })),
      'envelope.type is not an event type name (letters, digits and . _ : / -, up to 200)',
    ],
    [
      'a __proto__ key',
      Buffer.from('{"id":"5b0c3c1e-8f43-4a53-9b55-3f1f4a2d6e01","type":"t.v1","data":{"__proto__":{"admin":true}}}'),
      'message contains the forbidden key "__proto__"',
    ],
    [
      'a constructor key spelled with an escape',
      Buffer.from('{"id":"5b0c3c1e-8f43-4a53-9b55-3f1f4a2d6e01","type":"t.v1","data":{"constr\\u0075ctor":1}}'),
      'message contains the forbidden key "constructor"',
    ],
    ['a message over the size limit', Buffer.alloc(600 * 1024, 0x20), 'message of 614400 bytes exceeds 524288'],
  ])('rejects %s as permanent', (_name, value, message) => {
    expect(() => decodeEnvelope(value)).toThrow(new PermanentMessageError(message));
  });
});
