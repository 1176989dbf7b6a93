import { createServer, Server } from 'node:net';
import { portOpen, RunningService, startService, supervise, SupervisedService, waitFor } from '@shop/infra';

/** What the demo's supervision does with a real service process that dies. */
describe('service supervision (the demo keeps its services running)', () => {
  let lines: string[] = [];
  let supervised: SupervisedService | undefined;
  const say = (line: string) => lines.push(line);
  const said = (text: string) => lines.some((l) => l.includes(text));
  // Short waits: the test is about what happens, not the production back-off.
  const fast = { say, firstDelayMs: 200 };

  beforeEach(() => {
    lines = [];
  });
  afterEach(async () => {
    await supervised?.stop();
    supervised = undefined;
  });

  const live = async (service: RunningService) => (await fetch(`${service.url}/health/live`)).status;

  it('reports a service killed with SIGKILL and restarts it with the same environment', async () => {
    const first = await startService('order-service', { OUTBOX_BATCH_SIZE: '7' }, { until: 'live' });
    supervised = supervise(first, fast);
    const pid = first.process.pid;
    process.kill(pid as number, 'SIGKILL');

    await waitFor('the restart', async () => said('restarted'), 60_000);
    expect(lines[0]).toBe(`✖ order-service (pid ${pid}) died: killed by SIGKILL. Log: ${first.logFile}`);
    const now = supervised.current();
    expect(now.process.pid).not.toBe(pid);
    expect(now.extraEnv).toEqual({ OUTBOX_BATCH_SIZE: '7' });
    expect(await live(now)).toBe(200);

    await supervised.stop();
    expect(await portOpen(now.port)).toBe(false);
  }, 120_000);

  it('leaves a service stopped on purpose (SIGTERM) down, and says so', async () => {
    const first = await startService('shipping-service', {}, { until: 'live' });
    supervised = supervise(first, fast);
    first.process.kill('SIGTERM');
    await waitFor('the report', async () => said('was stopped from outside'), 30_000);
    await new Promise((r) => setTimeout(r, 2_000)); // ten times the back-off: no restart came
    expect(lines).toEqual([expect.stringMatching(/^■ shipping-service \(pid \d+\) was stopped from outside/)]);
    expect(await portOpen(first.port)).toBe(false);
  }, 60_000);

  it('gives up loudly after repeated immediate failures', async () => {
    const first = await startService('email-service', {}, { until: 'live' });
    supervised = supervise(first, { ...fast, maxFailures: 3 });
    process.kill(first.process.pid as number, 'SIGKILL');
    await first.exited;
    // Something else takes the port, so every restart dies at once (EADDRINUSE).
    const squatter: Server = await new Promise((resolve) => {
      const s = createServer((socket) => socket.destroy()).listen(first.port, '127.0.0.1', () => resolve(s));
    });
    try {
      await waitFor('giving up', async () => said('giving up'), 90_000);
    } finally {
      await new Promise((r) => squatter.close(r));
    }
    expect(lines.filter((l) => l.includes('did not start (port'))).toHaveLength(2);
    expect(lines.at(-1)).toBe(
      `✖ email-service: giving up after 3 failures in a row; it stays down. Log: ${first.logFile}. Once fixed: npm run service -- email-service`,
    );
    expect(lines.filter((l) => l.startsWith('↻'))).toEqual([
      '↻ email-service: restarting in 0.4s',
      '↻ email-service: restarting in 0.8s',
    ]);
  }, 120_000);
});
