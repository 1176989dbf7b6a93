import { ChildProcess, spawn, StdioOptions } from 'node:child_process';
import { join } from 'node:path';
import { ROOT_DIR } from './settings';

/** Runs a TypeScript entry point of this repository as its own Node.js process. */
export function spawnTs(script: string, env: NodeJS.ProcessEnv = {}, stdio: StdioOptions = 'ignore'): ChildProcess {
  return spawn(process.execPath, ['-r', '@swc-node/register', join(ROOT_DIR, script)], {
    cwd: ROOT_DIR,
    env: { ...process.env, SWC_NODE_PROJECT: join(ROOT_DIR, 'tsconfig.base.json'), ...env },
    stdio,
  });
}

/** Runs a script to its end; resolves with the signal that ended it, or its exit code. */
export function runTs(script: string, env: NodeJS.ProcessEnv = {}): Promise<NodeJS.Signals | number | null> {
  const child = spawnTs(script, env);
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code)));
}
