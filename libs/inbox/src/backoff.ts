/**
 * The one back-off of the inbox: `firstMs` before the first retry, doubled each time, never
 * above `ceilingMs`. Used for handler retries, waiting out a database outage and
 * reconnecting to a broker.
 */
export function backoffMs(attempt: number, firstMs: number, ceilingMs = Number.POSITIVE_INFINITY): number {
  // The exponent is capped so that a long outage cannot overflow to Infinity before the ceiling applies.
  const exponent = Math.min(Math.max(1, Math.floor(attempt)) - 1, 30);
  return Math.min(ceilingMs, firstMs * 2 ** exponent);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
