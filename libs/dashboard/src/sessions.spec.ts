import { Sessions, sessionOf } from './sessions';

describe('Sessions', () => {
  it('accepts an open session until it is closed, and no other id', () => {
    const sessions = new Sessions(60_000);
    const id = sessions.open();
    expect([sessions.valid(id), sessions.valid(`${id}x`), sessions.valid(undefined)]).toEqual([true, false, false]);
    sessions.close(id);
    expect(sessions.valid(id)).toBe(false);
  });

  it('refuses an expired session', () => {
    const sessions = new Sessions(-1);
    expect(sessions.valid(sessions.open())).toBe(false);
  });

  it('sets an HttpOnly, SameSite=Strict cookie and reads it back', () => {
    const sessions = new Sessions(60_000);
    const id = sessions.open();
    expect(sessions.cookie(id)).toMatch(/; HttpOnly; SameSite=Strict; Path=\/; Max-Age=60$/);
    expect(sessionOf({ headers: { cookie: `a=b; ${sessions.cookie(id).split(';')[0]}` } })).toBe(id);
  });
});
