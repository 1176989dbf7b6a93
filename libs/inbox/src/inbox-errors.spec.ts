import { isInfrastructureError } from './inbox-errors';

describe('isInfrastructureError', () => {
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
    [
      'a TypeORM error wrapping one',
      Object.assign(new Error('query failed'), { driverError: Object.assign(new Error('x'), { code: '57P01' }) }),
    ],
  ])('recognises %s', (_name, err) => {
    expect(isInfrastructureError(err)).toBe(true);
  });

  it.each([
    ['a unique violation (23505)', Object.assign(new Error('duplicate key'), { code: '23505' })],
    ['a handler bug', new TypeError('cannot read properties of undefined')],
    ['nothing', undefined],
  ])('does not take %s for an outage', (_name, err) => {
    expect(isInfrastructureError(err)).toBe(false);
  });
});
