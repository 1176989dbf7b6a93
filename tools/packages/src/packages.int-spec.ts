import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT_DIR } from '@shop/infra';

/** Packages that only an entry point of their own may load, never the core. */
const ADAPTER_PACKAGES = [
  '@nestjs/common',
  '@nestjs/core',
  '@nestjs/microservices',
  '@nestjs/terminus',
  'amqplib',
  'kafkajs',
  'prom-client',
  'rxjs',
];

/** The broker entry points and the client each one wraps. */
const BROKER_CLIENTS: Record<string, string> = { kafkajs: 'kafkajs', rabbitmq: 'amqplib' };

/**
 * The messaging libraries as their users get them: compiled to JavaScript, packed by npm.
 * (docs/tutorial/08 installs the packed tarballs into a project of its own and runs it.)
 */
describe.each([
  ['outbox', ['nest', 'kafkajs', 'rabbitmq', 'prometheus'], ['outbox']],
  ['inbox', ['nest', 'kafkajs', 'rabbitmq', 'prometheus'], []],
])('the %s package', (lib, entries: string[], commands: string[]) => {
  const dir = join(ROOT_DIR, 'libs', lib);
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const out = join(dir, 'dist');

  beforeAll(() => {
    rmSync(out, { recursive: true, force: true }); // nothing stale from an earlier layout
    execFileSync('npx', ['tsc', '-p', join(dir, 'tsconfig.lib.json')], { cwd: ROOT_DIR });
  }, 120_000);

  /** The packages a fresh Node.js process holds after requiring `file`. */
  const loadedBy = (file: string): string[] => {
    const script = `require(${JSON.stringify(file)});
      const names = Object.keys(require.cache).map((p) => /node_modules\\/((?:@[^/]+\\/)?[^/]+)/.exec(p)?.[1]).filter(Boolean);
      console.log(JSON.stringify([...new Set(names)]));`;
    return JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd: ROOT_DIR, encoding: 'utf8' }));
  };

  it('loads no NestJS, Terminus, prom-client or broker client with its core', () => {
    const loaded = loadedBy(join(out, 'index.js'));
    expect(loaded.filter((name) => ADAPTER_PACKAGES.includes(name))).toEqual([]);
  });

  it.each(entries)('has a working entry point %s', (entry) => {
    expect(pkg.exports[`./${entry}`]).toEqual({
      types: `./dist/${entry}/index.d.ts`,
      default: `./dist/${entry}/index.js`,
    });
    const loaded = loadedBy(join(out, entry, 'index.js'));
    expect(loaded.length).toBeGreaterThan(0);
    const client = BROKER_CLIENTS[entry]; // a broker's entry point loads its client and no other
    if (client) expect(loaded.filter((name) => Object.values(BROKER_CLIENTS).includes(name))).toEqual([client]);
  });

  it('has the commands (bin) it should, each running with node', () => {
    expect(Object.keys(pkg.bin ?? {})).toEqual(commands);
    for (const name of commands) {
      const file = join(dir, pkg.bin[name]);
      expect(readFileSync(file, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
      expect(execFileSync(process.execPath, [file, '--help'], { encoding: 'utf8' })).toMatch(/usage/i);
    }
  });

  it('declares every package its compiled code requires as a peer dependency', () => {
    const required = new Set<string>();
    const files = execFileSync('find', [out, '-name', '*.js'], { encoding: 'utf8' }).trim().split('\n');
    for (const file of files)
      for (const [, name] of readFileSync(file, 'utf8').matchAll(/require\("((?:@[^/"]+\/)?[^/"]+)[^"]*"\)/g))
        if (!name.startsWith('.') && !name.startsWith('node:')) required.add(name);
    expect([...required].filter((name) => !pkg.peerDependencies[name]).sort()).toEqual([]);
  });

  it('packs its build, SQL, README and CHANGELOG, and no sources or tests', () => {
    const [packed] = JSON.parse(
      execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: dir, encoding: 'utf8' }),
    ) as [{ files: { path: string }[] }];
    const paths = packed.files.map((f) => f.path);
    expect(paths).toEqual(
      expect.arrayContaining(['package.json', 'README.md', 'CHANGELOG.md', 'dist/index.js', 'dist/index.d.ts']),
    );
    expect(paths.filter((p) => p.startsWith('sql/') && p.endsWith('.sql')).length).toBeGreaterThan(0);
    expect(paths.filter((p) => /^src\/|\.spec\.|\.int-spec\.|^test\//.test(p))).toEqual([]);
  });
});
