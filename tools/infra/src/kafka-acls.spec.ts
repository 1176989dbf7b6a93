import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SUBSCRIPTIONS, TOPIC_OWNERSHIP } from '@shop/contracts';
import { readAcls } from './kafka-acls';
import { ROOT_DIR, settings } from './settings';

const grants = readAcls();
const has = (user: string, operation: string, resource: string, name: string) =>
  grants.some((g) => g.user === user && g.operation === operation && g.resource === resource && g.name === name);

describe('infra/kafka/acls.txt', () => {
  it.each(Object.entries(SUBSCRIPTIONS))('lets %s read what it subscribes to, in its own group', (service, topics) => {
    for (const topic of topics) {
      expect(has(service, 'READ', 'topic', topic)).toBe(true);
      expect(has(service, 'WRITE', 'topic', `${topic}.dlt`)).toBe(true);
    }
    expect(has(service, 'READ', 'group', service)).toBe(true);
  });

  it.each([...TOPIC_OWNERSHIP])("lets only %s's producer write it, besides Debezium", (topic, { producer }) => {
    const writers = grants.filter((g) => g.name === topic && (g.operation === 'WRITE' || g.operation === 'ALL'));
    expect(writers.map((g) => g.user).sort()).toEqual(['connect', producer].sort());
  });

  it('grants only to known users, and nothing to admin (the super user needs none)', () => {
    const users = Object.keys(settings.kafka.users).filter((u) => u !== 'admin');
    for (const g of grants) expect(users).toContain(g.user);
  });

  it('refuses a line it cannot read', () => {
    expect(() => readAcls('order-service WRITE topic')).toThrow(/cannot read/);
    expect(() => readAcls('order-service SMASH topic t literal')).toThrow(/cannot read/);
  });

  it('is what Compose gives each service: its own user', () => {
    const compose = readFileSync(join(ROOT_DIR, 'docker-compose.yml'), 'utf8');
    for (const service of Object.keys(SUBSCRIPTIONS)) expect(compose).toContain(`KAFKA_SASL_USERNAME: ${service}`);
    expect(compose).toContain('./infra/kafka/acls.txt:/infra/acls.txt:ro');
  });
});
