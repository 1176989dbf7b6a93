import { ClaimLog } from './claim-log';

describe('ClaimLog', () => {
  it('keeps the first claim of a row', () => {
    const log = new ClaimLog();
    log.record([{ id: 'a' }], new Date(1000));
    log.record([{ id: 'a' }], new Date(2000));
    expect(log.of('a')).toEqual(new Date(1000));
  });

  it('forgets the oldest rows beyond its capacity', () => {
    const log = new ClaimLog(2);
    log.record([{ id: 'a' }, { id: 'b' }, { id: 'c' }]);
    expect([log.of('a'), log.of('b') !== undefined, log.of('c') !== undefined]).toEqual([undefined, true, true]);
  });
});
