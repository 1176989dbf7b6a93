import { portOpen } from './process-utils';
import { describeEnd, RunningService, startService, stoppedOnPurpose } from './services';

export interface SuperviseOptions {
  /** Where it reports each death, restart and giving up, one line each. */
  say: (line: string) => void;
  /** Wait before a restart; doubles with each failure in a row, up to maxDelayMs. */
  firstDelayMs?: number;
  maxDelayMs?: number;
  /** A death within stableMs of (re)starting, or a failed restart, is a failure in a row… */
  stableMs?: number;
  /** …and after this many in a row it gives up and leaves the service down. */
  maxFailures?: number;
}

export interface SupervisedService {
  /** The process running now: the first one, or the latest restart. */
  current(): RunningService;
  /** Ends supervision and stops the service. */
  stop(): Promise<void>;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}s`;

/**
 * Restarts a service that crashes or is killed (SIGKILL, a non-zero exit), with the same
 * environment, after a back-off; gives up loudly after repeated immediate failures. Every
 * step is reported through `say`: a supervised service never dies silently.
 */
export function supervise(first: RunningService, opts: SuperviseOptions): SupervisedService {
  const { say, firstDelayMs = 1000, maxDelayMs = 30_000, stableMs = 60_000, maxFailures = 5 } = opts;
  const { name, extraEnv, port } = first;
  let current = first;
  let stopping = false;
  let cutBackOffShort: () => void = () => undefined;

  const backOff = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      cutBackOffShort = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  const watch = async (): Promise<void> => {
    let failures = 0;
    let upSince = Date.now();
    for (;;) {
      const end = await current.exited;
      if (stopping) return;
      const who = `${name} (pid ${current.process.pid})`;
      if (stoppedOnPurpose(end)) {
        say(`■ ${who} was stopped from outside (${describeEnd(end)}); not restarting it. Log: ${current.logFile}`);
        return;
      }
      say(`✖ ${who} died: ${describeEnd(end)}. Log: ${current.logFile}`);
      failures = Date.now() - upSince < stableMs ? failures + 1 : 0;
      for (;;) {
        if (stopping) return;
        if (failures >= maxFailures) {
          say(
            `✖ ${name}: giving up after ${failures} failures in a row; it stays down. Log: ${current.logFile}. ` +
              `Once fixed: npm run service -- ${name}`,
          );
          return;
        }
        const delay = Math.min(firstDelayMs * 2 ** failures, maxDelayMs);
        say(`↻ ${name}: restarting in ${seconds(delay)}`);
        await backOff(delay);
        if (stopping) return;
        const t0 = Date.now();
        try {
          current = await startService(name, extraEnv, { until: 'live' });
        } catch (err) {
          const taken = (await portOpen(port)) ? ` (port ${port} is in use by another process)` : '';
          say(`✖ ${name} did not start${taken}: ${err instanceof Error ? err.message : String(err)}`);
          failures++;
          continue;
        }
        upSince = Date.now();
        if (stopping) return current.stop();
        say(`✔ ${name} restarted: pid ${current.process.pid}, ${current.url} answers (${seconds(upSince - t0)})`);
        break;
      }
    }
  };

  const watching = watch().catch((err: unknown) =>
    say(`✖ supervising ${name} failed: ${err instanceof Error ? err.message : String(err)}`),
  );
  return {
    current: () => current,
    async stop() {
      stopping = true;
      cutBackOffShort();
      await current.stop();
      await watching; // a restart under way stops itself once it is up
    },
  };
}
