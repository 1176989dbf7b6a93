export interface BackoffOptions {
  /** The ceiling after the first failure. */
  initialMs: number;
  /** The ceiling never grows past this. */
  maxMs: number;
}

/**
 * How long to wait after the `failures`-th failure in a row: a ceiling that doubles per
 * failure up to `maxMs`, and a random wait in its upper half, so that relays and retried
 * rows that failed together do not come back together.
 */
export function backoffMs(failures: number, { initialMs, maxMs }: BackoffOptions, random = Math.random): number {
  const ceiling = Math.min(maxMs, initialMs * 2 ** Math.min(Math.max(failures, 1) - 1, 20));
  return ceiling / 2 + random() * (ceiling / 2);
}
