import { QueryFailedError } from 'typeorm';
import { safeError } from './safe-error';

describe('safeError', () => {
  const email = 'ada@example.com';
  const street = 'Hauptstraße 1';

  it('keeps a failed statement to its SQLSTATE and names: no parameters, no failing row', () => {
    const driverError = Object.assign(new Error('new row for relation "outbox" violates check constraint "probe"'), {
      code: '23514',
      constraint: 'probe',
      table: 'outbox',
      detail: `Failing row contains (${email}, ${street}).`,
    });
    const err = new QueryFailedError('INSERT INTO outbox VALUES ($1, $2)', [email, { street }], driverError);
    const safe = safeError(err);
    expect(safe).toMatchObject({ type: 'QueryFailedError', code: '23514', constraint: 'probe', table: 'outbox' });
    expect(safe.stack).toMatch(
      /^QueryFailedError: new row for relation "outbox" violates check constraint "probe"\n {4}at /,
    );
    expect(JSON.stringify(safe)).not.toMatch(/ada@|Hauptstraße|INSERT/);
  });

  it('leaves out the input a data exception quotes', () => {
    const err = Object.assign(new Error(`invalid input syntax for type uuid: "${email}"`), { code: '22P02' });
    expect(safeError(err).message).toBe('invalid input syntax for type uuid: [value not logged]');
    expect(JSON.stringify(safeError(err))).not.toContain(email);
  });

  it('logs nothing of a thrown non-Error', () => {
    expect(safeError({ contactEmail: email })).toEqual({ type: 'object', message: '[not an Error: not logged]' });
  });
});
