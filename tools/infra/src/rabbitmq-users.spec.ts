import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SUBSCRIPTIONS, TOPIC_OWNERSHIP } from '@shop/contracts';
import { rabbitmqUsersEnv } from './native-rabbitmq';
import { rabbitmqServiceUsers, ROOT_DIR, settings } from './settings';

/**
 * infra/rabbitmq/users.sh holds the users' permissions as RabbitMQ regexes, and Compose's
 * rabbitmq-init runs it with passwords of its own: checked here against the subscriptions and
 * tools/infra's settings (the broker's refusals themselves are in
 * libs/service-kit/src/rabbitmq-permissions.int-spec.ts).
 */
const script = readFileSync(join(ROOT_DIR, 'infra/rabbitmq/users.sh'), 'utf8');
const compose = readFileSync(join(ROOT_DIR, 'docker-compose.yml'), 'utf8');

interface Permissions {
  password: string;
  tags: string;
  configure: RegExp;
  write: RegExp;
  read: RegExp;
}
/** `user NAME "$PASSWORD_VAR" TAGS CONFIGURE WRITE READ`, continued over lines. */
const users = new Map<string, Permissions>(
  [...script.replace(/\\\n\s*/g, '').matchAll(/^user (\S+) "\$(\w+)" '([^']*)' '([^']*)' '([^']*)' '([^']*)'$/gm)].map(
    ([, name, password, tags, configure, write, read]) => [
      name,
      { password, tags, configure: new RegExp(configure), write: new RegExp(write), read: new RegExp(read) },
    ],
  ),
);
/** The exchange each producer owns, from the contracts. */
const produces: Record<string, string> = Object.fromEntries(
  [...TOPIC_OWNERSHIP].map(([topic, { producer }]) => [producer, topic]),
);
const exchanges = [...TOPIC_OWNERSHIP.keys()];
const services = Object.keys(SUBSCRIPTIONS);
/** Every exchange and queue name on the node (a permission regex sees exchanges and queues alike). */
const resources = [
  'amq.default',
  ...exchanges,
  ...exchanges.flatMap((x) => services.flatMap((s) => [`${x}.${s}`, `${x}.${s}.dlt`])),
];
const allowed = (regex: RegExp) => resources.filter((r) => regex.test(r)).sort();

describe('infra/rabbitmq/users.sh', () => {
  it('has the admin and one user per service, the names tools/infra connects with', () => {
    expect([...users.keys()].sort()).toEqual(
      [settings.rabbitmq.adminUser, ...Object.keys(rabbitmqServiceUsers)].sort(),
    );
    expect(users.get(settings.rabbitmq.adminUser)?.tags).toBe('administrator');
  });

  it.each(services)('gives %s its own exchange and queues only, and no configure', (service) => {
    const p = users.get(service) as Permissions;
    const subscribed: readonly string[] = SUBSCRIPTIONS[service as keyof typeof SUBSCRIPTIONS];
    expect(p.tags).toBe('');
    expect(allowed(p.configure)).toEqual([]);
    expect(allowed(p.read)).toEqual(subscribed.map((x) => `${x}.${service}`).sort());
    const ownExchange = produces[service] ? [produces[service]] : [];
    expect(allowed(p.write)).toEqual([...ownExchange, ...subscribed.map((x) => `${x}.${service}.dlt`)].sort());
  });

  it('removes the image’s guest and the user the services shared before', () => {
    expect(script).toMatch(/^for old in guest outbox; do$/m);
  });
});

describe('Compose’s rabbitmq-init', () => {
  const init = compose.slice(
    compose.indexOf('\n  rabbitmq-init:'),
    compose.indexOf('\n\n', compose.indexOf('rabbitmq-init:')),
  );
  const required = [...script.matchAll(/"\$\{(\w+):\?\}"/g)].map((m) => m[1]);

  it('passes every password the script requires, with tools/infra’s dev defaults', () => {
    const fromSettings = rabbitmqUsersEnv();
    expect(required.sort()).toEqual(Object.keys(fromSettings).sort());
    for (const name of required) {
      const fallback = init.match(new RegExp(`^      ${name}: \\$\\{${name}:-(\\w+)\\}$`, 'm'))?.[1];
      // settings.ts's default, unless this run's environment sets the password
      expect(fallback).toBe(process.env[name] ? expect.any(String) : fromSettings[name]);
    }
  });

  it('runs the script against the rabbitmq service’s node, with its cookie', () => {
    expect(init).toContain('RABBITMQCTL: rabbitmqctl -n rabbit@rabbitmq');
    expect(init).toContain('- rabbitmq-data:/var/lib/rabbitmq');
    expect(init).toContain('- ./infra/rabbitmq/users.sh:/users.sh:ro');
    expect(init).toContain("entrypoint: ['/bin/sh', '/users.sh']");
    expect(compose).toContain('RABBITMQ_DEFAULT_USER: outbox-admin');
  });
});
