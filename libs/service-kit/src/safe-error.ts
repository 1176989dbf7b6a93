/**
 * What a log line may say about an error: its type, SQLSTATE and the names PostgreSQL
 * gives (constraint, table, column), never the statement's parameters, the failing row
 * (`detail`) or a value quoted in the message. Those carry addresses and payloads.
 */
export interface SafeError {
  type: string;
  message: string;
  code?: string;
  constraint?: string;
  table?: string;
  column?: string;
  stack?: string;
}

const SQLSTATE = /^[0-9A-Z]{5}$/;

export function safeError(err: unknown): SafeError {
  if (!(err instanceof Error)) return { type: typeof err, message: '[not an Error: not logged]' };
  const pg = ((err as { driverError?: unknown }).driverError ?? err) as Record<string, unknown>;
  const code = typeof pg.code === 'string' && SQLSTATE.test(pg.code) ? pg.code : undefined;
  // Data exceptions (class 22) quote the offending input after the last colon.
  const message = code?.startsWith('22') ? err.message.replace(/:[^:]*$/, ': [value not logged]') : err.message;
  const names = Object.fromEntries(
    (['constraint', 'table', 'column'] as const).flatMap((k) => (typeof pg[k] === 'string' ? [[k, pg[k]]] : [])),
  );
  const frames = err.stack?.split('\n').filter((l) => l.startsWith('    at '));
  return {
    type: err.name,
    message,
    ...(code && { code }),
    ...names,
    ...(frames && { stack: [`${err.name}: ${message}`, ...frames].join('\n') }),
  };
}
