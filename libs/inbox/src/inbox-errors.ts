/** The message itself is at fault: retrying cannot help, it goes to the dead-letter topic. */
export class PermanentMessageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermanentMessageError';
  }
}

/** PostgreSQL error classes that mean "the database is unavailable", not "this message is bad". */
const UNAVAILABLE_SQLSTATE = /^(08|53|57P0)/;
const UNAVAILABLE_MESSAGE =
  /ECONNREFUSED|ECONNRESET|Connection terminated|timeout exceeded when trying to connect|terminating connection|the database system is (starting up|shutting down)/i;

/**
 * Infrastructure failures are waited out (the partition pauses until the database is
 * back) rather than counted against the message, which would dead-letter good messages
 * during an outage.
 */
export function isInfrastructureError(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown; driverError?: unknown } | undefined;
  if (!e) return false;
  if (typeof e.code === 'string' && UNAVAILABLE_SQLSTATE.test(e.code)) return true;
  if (typeof e.message === 'string' && UNAVAILABLE_MESSAGE.test(e.message)) return true;
  return e.driverError !== undefined && e.driverError !== err && isInfrastructureError(e.driverError);
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
