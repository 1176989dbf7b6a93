import { spawn, spawnSync, SpawnSyncOptions } from 'node:child_process';
import {
  chmodSync,
  openSync,
  readFileSync,
  existsSync,
  writeFileSync,
  rmSync,
  readdirSync,
  readlinkSync,
} from 'node:fs';
import { connect, createServer } from 'node:net';

export class InfraError extends Error {}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** `shown` is what an error says was run: pass it when the arguments hold a secret. */
export function run(cmd: string, args: string[], opts: SpawnSyncOptions = {}, shown = args.join(' ')): string {
  const res = spawnSync(cmd, args, { encoding: 'utf8', ...opts });
  if (res.error) throw new InfraError(`${cmd} could not be started: ${res.error.message}`);
  if (res.status !== 0) {
    throw new InfraError(`${cmd} ${shown} exited with ${res.status}:\n${res.stderr || res.stdout}`);
  }
  return String(res.stdout ?? '');
}

/** Writes a file that holds a password: readable by its owner only, even if it existed before. */
export function writeSecret(file: string, text: string): void {
  writeFileSync(file, text, { mode: 0o600 });
  chmodSync(file, 0o600);
}

export function commandExists(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).status === 0;
}

/** Starts a process that outlives this one, its output appended to logFile. */
export function spawnDetached(
  cmd: string,
  args: string[],
  files: { log: string; pid: string },
  opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): number {
  const out = openSync(files.log, 'a');
  const child = spawn(cmd, args, {
    detached: true,
    stdio: ['ignore', out, out],
    env: opts.env ?? process.env,
    cwd: opts.cwd,
  });
  if (child.pid === undefined) throw new InfraError(`could not start ${cmd}`);
  child.unref();
  writeFileSync(files.pid, String(child.pid));
  return child.pid;
}

export function readPid(pidFile: string): number | undefined {
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, 'utf8').trim().split('\n')[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

export function isAlive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    // A zombie still answers signal 0; /proc tells the truth on Linux.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.split(') ')[1]?.[0] !== 'Z';
  } catch {
    return false;
  }
}

export function signal(pidFile: string, sig: NodeJS.Signals): boolean {
  const pid = readPid(pidFile);
  if (!isAlive(pid)) return false;
  process.kill(pid as number, sig);
  return true;
}

export async function stopProcess(pidFile: string, timeoutMs = 20_000): Promise<void> {
  await stopPid(readPid(pidFile), timeoutMs);
  rmSync(pidFile, { force: true });
}

/** SIGTERM, and SIGKILL if it is still there after timeoutMs; resolves once it is gone. */
export async function stopPid(pid: number | undefined, timeoutMs = 20_000): Promise<void> {
  if (!isAlive(pid)) return;
  process.kill(pid as number, 'SIGCONT'); // a paused process cannot act on SIGTERM
  process.kill(pid as number, 'SIGTERM');
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(100);
  if (isAlive(pid)) process.kill(pid as number, 'SIGKILL');
  while (isAlive(pid)) await sleep(50);
}

/** The process listening on a local TCP port, found through /proc (Linux); undefined if none is visible. */
export function listeningPid(port: number): number | undefined {
  const hexPort = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!existsSync(table)) continue;
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const [, local, , state, , , , , , inode] = line.trim().split(/\s+/);
      if (local?.endsWith(hexPort) && state === '0A') inodes.add(inode); // 0A: LISTEN
    }
  }
  if (inodes.size === 0) return undefined;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      for (const fd of readdirSync(`/proc/${pid}/fd`))
        if (inodes.has(/^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1] ?? '')) return Number(pid);
    } catch {
      // gone meanwhile, or not ours to look into
    }
  }
  return undefined;
}

/** A process's command line, as ps shows it. */
export const commandLine = (pid: number): string =>
  readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();

export function portOpen(port: number, host = '127.0.0.1', timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** A port nothing listens on right now, from the kernel; for a test's own server. */
export const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
    probe.once('error', reject);
  });

export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
  logHint?: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(250);
  }
  throw new InfraError(`${what} was not ready after ${timeoutMs / 1000}s${logHint ? `; see ${logHint}` : ''}`);
}
