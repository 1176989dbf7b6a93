import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { readAcls } from './kafka-acls';
import { ROOT_DIR } from './settings';

/**
 * Compose's broker start (infra/kafka/docker-start.sh), run here against stand-ins for the
 * image's Kafka scripts: Docker cannot run on the machines this project is tested on.
 */
describe('infra/kafka/docker-start.sh', () => {
  const passwords = {
    KAFKA_ADMIN_PASSWORD: 'admin-pw',
    ORDER_KAFKA_PASSWORD: 'order-pw',
    SHIPPING_KAFKA_PASSWORD: 'shipping-pw',
    EMAIL_KAFKA_PASSWORD: 'email-pw',
    DASHBOARD_KAFKA_PASSWORD: 'dashboard-pw',
    CONNECT_KAFKA_PASSWORD: 'connect-pw',
  };

  function start(env: Record<string, string> = passwords) {
    const dir = mkdtempSync(join(tmpdir(), 'docker-start-'));
    mkdirSync(join(dir, 'bin'));
    for (const tool of ['kafka-storage.sh', 'kafka-server-start.sh']) {
      const stub = join(dir, 'bin', tool);
      writeFileSync(stub, `#!/bin/sh\necho "${tool} $*" >> "${dir}/calls"\n`);
      chmodSync(stub, 0o755);
    }
    const run = () =>
      spawnSync('sh', [join(ROOT_DIR, 'infra/kafka/docker-start.sh')], {
        encoding: 'utf8',
        env: {
          PATH: process.env.PATH,
          KAFKA_HOME: dir,
          INFRA_KAFKA_DIR: join(ROOT_DIR, 'infra/kafka'),
          KAFKA_DATA_DIR: dir,
          TMPDIR: dir,
          ...env,
        },
      });
    return { dir, run };
  }

  it('renders the native template with the container listeners, every one of them SASL', () => {
    const { dir, run } = start();
    expect(run().status).toBe(0);
    const conf = readFileSync(join(dir, 'server.properties'), 'utf8');
    const get = (key: string) => conf.match(new RegExp(`^${key.replace(/\./g, '\\.')}=(.*)$`, 'm'))?.[1] ?? '';
    expect(conf).not.toMatch(/@[A-Z_]+@/);
    const listeners = get('listeners')
      .split(',')
      .map((l) => l.split(':')[0]);
    expect(listeners.sort()).toEqual(['CLIENT', 'CONTROLLER', 'INTERNAL', 'PROXIED']);
    const protocols = Object.fromEntries(
      get('listener.security.protocol.map')
        .split(',')
        .map((p) => p.split(':')),
    );
    for (const l of listeners) {
      expect(protocols[l]).toBe('SASL_PLAINTEXT');
      expect(get(`listener.name.${l.toLowerCase()}.scram-sha-512.sasl.jaas.config`)).toContain(
        'username="admin" password="admin-pw"',
      );
    }
    expect(get('inter.broker.listener.name')).toBe('INTERNAL');
    expect(get('controller.quorum.voters')).toBe('1@kafka:9093');
    expect(get('log.dirs')).toBe(dir);
    expect(get('super.users')).toBe('User:admin');
    expect(get('allow.everyone.if.no.acl.found')).toBe('false');
    expect(readFileSync(join(dir, 'admin.properties'), 'utf8')).toContain('password="admin-pw"');

    const calls = readFileSync(join(dir, 'calls'), 'utf8').trim().split('\n');
    expect(calls[0]).toMatch(/^kafka-storage\.sh format -t \S+ -c \S+server\.properties/);
    for (const [user, pw] of [
      ['admin', 'admin-pw'],
      ['order-service', 'order-pw'],
      ['shipping-service', 'shipping-pw'],
      ['email-service', 'email-pw'],
      ['dashboard', 'dashboard-pw'],
      ['connect', 'connect-pw'],
    ])
      expect(calls[0]).toContain(`--add-scram SCRAM-SHA-512=[name=${user},password=${pw}]`);
    expect(calls[1]).toBe(`kafka-server-start.sh ${join(dir, 'server.properties')}`);

    // Formatted once: a restart keeps the users and their data.
    writeFileSync(join(dir, 'meta.properties'), '');
    expect(run().status).toBe(0);
    expect(readFileSync(join(dir, 'calls'), 'utf8').trim().split('\n').slice(2)).toEqual([calls[1]]);
  });

  it.each(['', 'a b', 'a$b', 'a&b', 'a|b', 'a,b', 'a]b', 'a"b', "a'b", 'a\\b', 'a;b', 'a=b'])(
    'refuses to start with the password %j, which a SCRAM spec or JAAS line would misread',
    (password) => {
      const result = start({ ...passwords, CONNECT_KAFKA_PASSWORD: password }).run();
      expect(result.status).not.toBe(0);
      expect(result.stderr).toContain('CONNECT_KAFKA_PASSWORD must be set, without spaces');
    },
  );

  it('is what Compose runs, with the passwords it needs', () => {
    const compose = readFileSync(join(ROOT_DIR, 'docker-compose.yml'), 'utf8');
    expect(compose).toContain("entrypoint: ['/bin/sh', '/infra/kafka/docker-start.sh']");
    expect(compose).toContain('- ./infra/kafka:/infra/kafka:ro');
    for (const name of Object.keys(passwords)) expect(compose).toMatch(new RegExp(`^ +${name}: \\$\\{${name}:-`, 'm'));
  });
});

/** Compose's kafka-init, run against a stand-in kafka-acls.sh: the same grants as readAcls(). */
describe("docker-compose.yml's kafka-init", () => {
  it('grants what infra/kafka/acls.txt says, as tools/infra reads it', () => {
    const compose = parse(readFileSync(join(ROOT_DIR, 'docker-compose.yml'), 'utf8')) as {
      services: Record<string, { command: string[] }>;
    };
    const dir = mkdtempSync(join(tmpdir(), 'kafka-init-'));
    for (const tool of ['kafka-topics.sh', 'kafka-acls.sh']) {
      writeFileSync(join(dir, tool), `#!/bin/sh\necho "${tool} $*" >> "${dir}/calls"\n`);
      chmodSync(join(dir, tool), 0o755);
    }
    const script = compose.services['kafka-init'].command[0]
      .replaceAll('$$', '$') // Compose's escape for a literal $
      .replaceAll('/tmp/admin.properties', join(dir, 'admin.properties'))
      .replaceAll('/opt/kafka/bin/', `${dir}/`)
      .replaceAll('/infra/acls.txt', join(ROOT_DIR, 'infra/kafka/acls.txt'));
    const result = spawnSync('sh', ['-c', script], {
      encoding: 'utf8',
      env: { ...process.env, KAFKA_ADMIN_PASSWORD: 'pw' },
    });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const granted = readFileSync(join(dir, 'calls'), 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('kafka-acls.sh'))
      .map((l) => {
        const arg = (flag: string) => l.match(new RegExp(`(?:${flag}) (\\S+)`))?.[1];
        return `${arg('--allow-principal')} ${arg('--operation')} ${l.includes('--topic ') ? 'topic' : 'group'} ${arg('--topic|--group')} ${arg('--resource-pattern-type')}`;
      });
    const names = { READ: 'READ', WRITE: 'WRITE', CREATE: 'CREATE', DESCRIBE_CONFIGS: 'DESCRIBECONFIGS' };
    expect(granted).toEqual(
      readAcls().map(
        (g) =>
          `User:${g.user} ${names[g.operation as keyof typeof names] ?? g.operation} ${g.resource} ${g.name} ${g.pattern}`,
      ),
    );
    expect(readFileSync(join(dir, 'admin.properties'), 'utf8')).toContain('username="admin" password="pw"');
  });
});
