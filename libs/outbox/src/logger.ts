/** Where the library logs; a Nest `Logger`, pino or console fit behind it. */
export interface OutboxLogger {
  log(message: string, context?: Record<string, unknown>): void;
  warn(message: string, context?: Record<string, unknown>): void;
  error(message: string, context?: Record<string, unknown>): void;
}

export const silentLogger: OutboxLogger = { log: () => undefined, warn: () => undefined, error: () => undefined };

/** An error as a log or a row's `last_error` carries it: the message only, never the object's fields. */
export const errorMessage = (err: unknown) => (err instanceof Error ? err.message : String(err));
