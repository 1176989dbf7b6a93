/**
 * Where the inbox logs. `context` holds ids, counts, positions and error messages as
 * `errorMessage` renders them, never a payload. `/nest` adapts a Nest Logger to it.
 */
export interface InboxLogger {
  log(message: string, context?: Record<string, unknown>): void;
  warn(message: string, context?: Record<string, unknown>): void;
  error(message: string, context?: Record<string, unknown>): void;
}

/** The default outside Nest: one JSON line per entry on stderr. */
export const consoleInboxLogger: InboxLogger = {
  log: (msg, context) => console.log(JSON.stringify({ level: 'info', msg, ...context })),
  warn: (msg, context) => console.warn(JSON.stringify({ level: 'warn', msg, ...context })),
  error: (msg, context) => console.error(JSON.stringify({ level: 'error', msg, ...context })),
};

export interface InboxMetricLabels {
  consumer: string;
  topic: string;
}

/** What a lag gauge asks a consumer at scrape time. */
export interface LagSource {
  consumer: string;
  lagByTopic(): Promise<Map<string, number>>;
}

/**
 * What the inbox counts. `/prometheus` implements it with prom-client; another metrics
 * library needs these six methods.
 */
export interface InboxMetricsSink {
  /** A message's effect committed. */
  handled(labels: InboxMetricLabels): void;
  /** A message skipped because the inbox had its event id. */
  duplicate(labels: InboxMetricLabels): void;
  deadLettered(labels: InboxMetricLabels): void;
  /** A handler attempt failed and will be retried. */
  retried(labels: InboxMetricLabels): void;
  /** Time in one handler that succeeded, inside its transaction. */
  handlerDuration(labels: InboxMetricLabels, seconds: number): void;
  /** Adds a lag source read at scrape time; returns what removes it. */
  watchLag(source: LagSource): () => void;
}
