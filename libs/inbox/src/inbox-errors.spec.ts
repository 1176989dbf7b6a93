import { DatabaseUnavailableError, errorMessage, isDatabaseUnavailable } from './inbox-errors';

describe('isDatabaseUnavailable', () => {
  it.each([
    [
      'a refused connection',
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:55432'), { code: 'ECONNREFUSED' }),
    ],
    [
      'a terminated session (57P01)',
      Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }),
    ],
    ['a connection exception (08006)', Object.assign(new Error('connection failure'), { code: '08006' })],
    ['too many connections (53300)', Object.assign(new Error('sorry, too many clients already'), { code: '53300' })],
    ['a server in recovery', new Error('the database system is in recovery mode')],
    ['a client whose connection broke', new Error('Client has encountered a connection error and is not queryable')],
    ['what the inbox says when its transaction lost its connection', new DatabaseUnavailableError(new Error('x'))],
    [
      'a TypeORM error wrapping one',
      Object.assign(new Error('query failed'), { driverError: Object.assign(new Error('x'), { code: '57P01' }) }),
    ],
  ])('recognises %s', (_name, err) => {
    expect(isDatabaseUnavailable(err)).toBe(true);
  });

  it.each([
    ['a unique violation (23505)', Object.assign(new Error('duplicate key'), { code: '23505' })],
    ['a handler bug', new TypeError('cannot read properties of undefined')],
    ['what Nest makes of a handler error', { status: 'error', message: 'Internal server error' }],
    ['a check constraint (23514)', Object.assign(new Error('violates check constraint'), { code: '23514' })],
    ['nothing', undefined],
  ])('does not take %s for an outage', (_name, err) => {
    expect(isDatabaseUnavailable(err)).toBe(false);
  });
});

describe('errorMessage', () => {
  it('leaves out the value PostgreSQL quotes in a data exception, and whatever a non-Error holds', () => {
    const dataException = Object.assign(new Error('invalid input syntax for type uuid: "ada@example.com"'), {
      driverError: { code: '22P02' },
    });
    expect(errorMessage(dataException)).toBe('invalid input syntax for type uuid: [value not logged] (SQLSTATE 22P02)');
    expect(errorMessage({ contactEmail: 'ada@example.com' })).toBe('a non-Error was thrown (object)');
    expect(errorMessage(new Error('handler refuses n=13'))).toBe('handler refuses n=13');
  });
});
