/**
 * `npm run service -- <name> [--restart]`: one service in the foreground, with the same
 * environment the demo and the tests give it (serviceEnv), its log on this terminal.
 */
import { infraStatus } from './infra';
import { commandLine, listeningPid, portOpen, stopPid } from './process-utils';
import {
  answersHealth,
  describeEnd,
  ProcessEnd,
  ServiceName,
  serviceNames,
  servicePort,
  serviceUrl,
  spawnService,
  stoppedOnPurpose,
} from './services';

const usage = `usage: npm run service -- <${serviceNames.join('|')}> [--restart]

Runs one service in the foreground with this project's environment (its port, database,
Kafka and SMTP settings: the same as npm run demo and the tests), its log on this terminal.
Ctrl-C stops it. If the service already answers on its port, it says so and exits 1;
--restart stops that instance first.`;

const isServiceName = (name: string | undefined): name is ServiceName => serviceNames.includes(name as ServiceName);

/** Frees the service's port if --restart allows it; false when something is left in the way. */
async function portFree(name: ServiceName, restart: boolean): Promise<boolean> {
  const port = servicePort(name);
  if (!(await portOpen(port))) return true;
  const pid = listeningPid(port);
  const who = pid ? `pid ${pid}: ${commandLine(pid)}` : 'its process is not visible from here';
  if (!restart) {
    console.error(`${name} already answers on port ${port} (${who}).\nStop it, or run again with --restart.`);
    return false;
  }
  // Never stop a stranger: only a process running this service's entry point.
  if (!pid || !commandLine(pid).includes(`apps/${name}/src/main.ts`)) {
    console.error(`port ${port} is held by something other than ${name} (${who}); not touching it.`);
    return false;
  }
  console.log(`stopping the running ${name} (pid ${pid})…`);
  await stopPid(pid);
  return true;
}

async function main(args: string[]): Promise<number> {
  const [name, ...flags] = args;
  if (name === '--help' || name === '-h') {
    console.log(usage);
    return 0;
  }
  if (!isServiceName(name) || flags.some((f) => f !== '--restart')) {
    console.error(usage);
    return 2;
  }
  if (!(await portFree(name, flags.includes('--restart')))) return 1;
  const status = await infraStatus();
  const down = (['postgres', 'kafka', 'smtp'] as const).filter((part) => !status[part]);
  if (down.length > 0) console.warn(`warning: ${down.join(', ')} not running; \`npm run infra:up\` starts them`);

  const url = serviceUrl(name);
  const child = spawnService(name, {}, 'inherit');
  console.log(`▶ ${name} (pid ${child.pid}) on ${url}; its log follows; Ctrl-C stops it`);
  const exited = new Promise<ProcessEnd>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code)));
  // A terminal's Ctrl-C reaches the service too; this covers a signal sent to this process alone.
  let stopRequested = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.on(signal, () => {
      stopRequested = true;
      child.kill('SIGTERM');
    });
  const t0 = Date.now();
  answersHealth({ name, url, process: child, logHint: 'the log above' }, 'ready', 120_000).then(
    (ready) =>
      console.log(
        ready ? `✔ ${name} ready in ${((Date.now() - t0) / 1000).toFixed(1)}s` : `… ${name} not ready after 120s`,
      ),
    () => undefined, // it exited: said below
  );
  const end = await exited;
  if (stopRequested || stoppedOnPurpose(end)) {
    console.log(`■ ${name} stopped`);
    return 0;
  }
  console.error(`✖ ${name} ${describeEnd(end)}`);
  return 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
