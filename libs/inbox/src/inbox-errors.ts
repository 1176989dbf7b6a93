/** The message itself is at fault: retrying cannot help, it goes to the dead-letter topic. */
export class PermanentMessageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermanentMessageError';
  }
}

/**
 * The inbox could not reach the database before or after the handler's work (no
 * connection, or the transaction's own connection broke): not the message's fault.
 */
export class DatabaseUnavailableError extends Error {
  constructor(cause: unknown) {
    super(`database unavailable: ${errorMessage(cause)}`, { cause });
    this.name = 'DatabaseUnavailableError';
  }
}

/** PostgreSQL error classes that mean "the database is unavailable", not "this input is bad". */
const UNAVAILABLE_SQLSTATE = /^(08|53|57P0)/;
const UNAVAILABLE_MESSAGE =
  /ECONNREFUSED|ECONNRESET|Connection terminated|timeout exceeded when trying to connect|terminating connection|not queryable|the database system is (starting up|shutting down|in recovery mode)/i;

/**
 * The one classifier of database outages: the inbox waits them out instead of spending a
 * message's attempts (which would dead-letter good messages), and an HTTP layer can answer
 * 503 instead of 500. Looks through TypeORM's `driverError`.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  if (err instanceof DatabaseUnavailableError) return true;
  const e = err as { code?: unknown; message?: unknown; driverError?: unknown } | undefined;
  if (!e) return false;
  if (typeof e.code === 'string' && UNAVAILABLE_SQLSTATE.test(e.code)) return true;
  if (typeof e.message === 'string' && UNAVAILABLE_MESSAGE.test(e.message)) return true;
  return e.driverError !== undefined && e.driverError !== err && isDatabaseUnavailable(e.driverError);
}

/**
 * An error as logs and dead-letter headers carry it. PostgreSQL quotes the offending input
 * in data exceptions (SQLSTATE class 22), and an object thrown may hold anything: neither
 * is repeated, so no address or payload reaches a log line.
 */
export function errorMessage(err: unknown): string {
  if (typeof err === 'string') return err;
  if (!(err instanceof Error)) return `a non-Error was thrown (${typeof err})`;
  const code = ((err as { driverError?: { code?: unknown } }).driverError ?? (err as { code?: unknown })).code;
  if (typeof code === 'string' && code.startsWith('22'))
    return `${err.message.replace(/:[^:]*$/, ': [value not logged]')} (SQLSTATE ${code})`;
  return err.message;
}
