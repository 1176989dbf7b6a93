import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { postgresClusterDir } from './native-postgres';
import { freePort } from './process-utils';
import { ROOT_DIR } from './settings';

const asRoot = process.getuid?.() === 0;

/** Runs a snippet against tools/infra in a process of its own, with env set before settings load. */
function runInfraSnippet(code: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', '-e', code], {
    cwd: ROOT_DIR,
    env: { ...process.env, ...env },
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  return new Promise((resolve) => child.once('exit', (c) => resolve({ code: c, output })));
}

describe('native PostgreSQL for a clone in a folder closed to the postgres user (mode 0700)', () => {
  const closed = mkdtempSync(join(tmpdir(), 'closed-clone-'));
  const infraDir = join(closed, 'clone', '.infra');

  beforeAll(() => {
    chmodSync(closed, 0o700);
    mkdirSync(infraDir, { recursive: true });
  });
  afterAll(() => {
    rmSync(postgresClusterDir(infraDir), { recursive: true, force: true });
    rmSync(closed, { recursive: true, force: true });
  });

  it('puts the cluster where the postgres user can reach it, at the same path every time', () => {
    const dir = postgresClusterDir(infraDir);
    // Not root: initdb runs as this user, who can enter the folder, so nothing moves.
    expect(dir).toEqual(
      asRoot
        ? expect.stringMatching(/^\/var\/tmp\/outbox-reference-postgres-[0-9a-f]{12}$/)
        : join(infraDir, 'postgres'),
    );
    expect(postgresClusterDir(infraDir)).toBe(dir);
    expect(postgresClusterDir(join(closed, 'another-clone', '.infra'))).not.toBe(dir);
  });

  it('keeps the cluster in the project when the postgres user can enter it', () => {
    chmodSync(closed, 0o755);
    try {
      expect(postgresClusterDir(infraDir)).toBe(join(infraDir, 'postgres'));
    } finally {
      chmodSync(closed, 0o700);
    }
  });

  it('starts a cluster there that answers queries, and stops it', async () => {
    const port = await freePort();
    const { code, output } = await runInfraSnippet(
      `const pg = require('./tools/infra/src/native-postgres');
       pg.startNativePostgres()
         .then(() => pg.queryAsAdmin('postgres', 'SHOW data_directory'))
         .then((rows) => { console.log('data_directory=' + rows[0].data_directory); pg.stopNativePostgres(); })
         .catch((err) => { console.error(err.message); process.exit(1); });`,
      { INFRA_DIR: infraDir, INFRA_PG_PORT: String(port) },
    );
    expect({ code, output }).toEqual({
      code: 0,
      output: expect.stringContaining(`data_directory=${join(postgresClusterDir(infraDir), 'data')}\n`),
    });
  }, 90_000);
});
