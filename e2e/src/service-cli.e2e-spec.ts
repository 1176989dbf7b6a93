import { ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import {
  listeningPid,
  portOpen,
  ROOT_DIR,
  RunningService,
  serviceEnv,
  servicePort,
  serviceUrl,
  startService,
  waitFor,
} from '@shop/infra';

/**
 * The command behind `npm run service -- …` (npm itself, on Ctrl-C, reports its own signal
 * rather than the command's exit code), in a process group of its own, as a terminal gives it.
 */
function npmRunService(args: string[]) {
  const script: string = JSON.parse(readFileSync(`${ROOT_DIR}/package.json`, 'utf8')).scripts.service;
  const [node, ...nodeArgs] = script.split(' ');
  expect(node).toBe('node');
  const child = spawn(process.execPath, [...nodeArgs, ...args], { cwd: ROOT_DIR, detached: true });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, output: () => output };
}

const ctrlC = (child: ChildProcess) => process.kill(-(child.pid as number), 'SIGINT');
const environOf = (pid: number) =>
  Object.fromEntries(
    readFileSync(`/proc/${pid}/environ`, 'utf8')
      .split('\0')
      .filter(Boolean)
      .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
  );

describe('npm run service -- <name>', () => {
  const name = 'shipping-service';
  const port = servicePort(name);
  let running: ReturnType<typeof npmRunService> | undefined;
  let existing: RunningService | undefined;

  afterEach(async () => {
    if (running && running.child.exitCode === null && running.child.signalCode === null) {
      ctrlC(running.child);
      await running.exited;
    }
    await existing?.stop();
    running = existing = undefined;
  });

  it('prints the usage and exits 2 for a wrong name', async () => {
    const run = npmRunService(['shiping-service']);
    expect(await run.exited).toBe(2);
    expect(run.output()).toContain(
      'usage: npm run service -- <order-service|shipping-service|email-service> [--restart]',
    );
    expect(await portOpen(port)).toBe(false);
  });

  it('runs the service in the foreground with the environment the demo and tests use; Ctrl-C stops it', async () => {
    running = npmRunService([name]);
    await waitFor(`${name} ready`, async () => running?.output().includes(`✔ ${name} ready`) ?? false, 90_000);
    expect((await fetch(`${serviceUrl(name)}/health/live`)).status).toBe(200);
    const pid = listeningPid(port) as number;
    expect(environOf(pid)).toEqual(expect.objectContaining(serviceEnv(name)));
    expect(running.output()).toContain(`▶ ${name} (pid ${pid}) on ${serviceUrl(name)}`);

    ctrlC(running.child);
    expect(await running.exited).toBe(0);
    expect(running.output()).toContain(`■ ${name} stopped`);
    expect(await portOpen(port)).toBe(false);
  }, 120_000);

  it('says so when the service already runs, and replaces it with --restart', async () => {
    existing = await startService(name, {}, { until: 'live' });
    const refused = npmRunService([name]);
    expect(await refused.exited).toBe(1);
    expect(refused.output()).toContain(`${name} already answers on port ${port} (pid ${existing.process.pid}:`);
    expect(existing.process.exitCode).toBeNull(); // left alone

    running = npmRunService([name, '--restart']);
    expect(await existing.exited).toBe('SIGTERM');
    await waitFor(`${name} ready`, async () => running?.output().includes(`✔ ${name} ready`) ?? false, 90_000);
    expect(running.output()).toContain(`stopping the running ${name} (pid ${existing.process.pid})`);
    expect(listeningPid(port)).not.toBe(existing.process.pid);
    expect((await fetch(`${serviceUrl(name)}/health/live`)).status).toBe(200);
  }, 120_000);
});
