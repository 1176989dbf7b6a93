/** Nearest-rank percentile of unsorted samples; NaN when there are none. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

/** Arithmetic mean; NaN when there are none. */
export function mean(samples: readonly number[]): number {
  return samples.reduce((sum, x) => sum + x, 0) / samples.length;
}

/** Latencies in ms from two maps of the same keys to timestamps in ms. */
export function latencies(from: ReadonlyMap<string, number>, to: ReadonlyMap<string, number>): number[] {
  const out: number[] = [];
  for (const [key, t0] of from) {
    const t1 = to.get(key);
    if (t1 !== undefined) out.push(t1 - t0);
  }
  return out;
}

/**
 * How many of the timestamps are at or before `t`: e.g. commits within an open-loop window,
 * which fall short of the offered count once the system cannot keep up.
 */
export function countUntil(timestamps: ReadonlyMap<string, number>, t: number): number {
  let n = 0;
  for (const at of timestamps.values()) if (at <= t) n += 1;
  return n;
}

/**
 * An open-loop rate is saturated when less than 90 % of it got through within the window,
 * or more than a second of traffic was still on its way when the load stopped.
 */
export const saturated = (offered: number, achieved: number, backlog: number): boolean =>
  achieved < 0.9 * offered || backlog > offered;

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Starts `task` at a steady `ratePerSecond` for `durationMs` (open loop: a slow task does
 * not delay the next start), then waits for the tasks still running. Returns how many
 * started and the errors of those that failed.
 */
export async function atRate(
  ratePerSecond: number,
  durationMs: number,
  task: () => Promise<void>,
): Promise<{ started: number; errors: unknown[] }> {
  const errors: unknown[] = [];
  const interval = 1000 / ratePerSecond;
  const t0 = performance.now();
  const running: Promise<void>[] = [];
  let started = 0;
  while (performance.now() - t0 < durationMs) {
    const due = t0 + started * interval;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    running.push(task().catch((err: unknown) => void errors.push(err)));
    started += 1;
  }
  await Promise.all(running);
  return { started, errors };
}

/** Runs `workers` loops of `task` for `durationMs` (closed loop); returns each task's duration in ms. */
export async function closedLoop(workers: number, durationMs: number, task: () => Promise<void>): Promise<number[]> {
  const deadline = performance.now() + durationMs;
  const durations: number[] = [];
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (performance.now() < deadline) {
        const t = performance.now();
        await task();
        durations.push(performance.now() - t);
      }
    }),
  );
  return durations;
}
