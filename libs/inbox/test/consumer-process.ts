/**
 * An inbox consumer in a process of its own, for tests that kill it. Environment:
 * PG_URL, KAFKA_BROKERS (or RABBITMQ_URL), TOPIC (or exchange), GROUP (the consumer name),
 * and FAILPOINT=after-commit to SIGKILL itself after the first transaction commits and
 * before its offset is committed (its message acknowledged).
 */
import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { logLevel } from 'kafkajs';
import { kafkaClient } from '@shop/infra';
import { KafkaInboxBroker } from '../src/kafkajs';
import { RabbitMqInboxBroker } from '../src/rabbitmq';
import { createInboxMicroservice, InboxServer } from '../src/nest';
import { EffectsModule, validateThing } from './effects-handler';

const env = (name: string) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};

async function main() {
  const dataSource = new DataSource({ type: 'postgres', url: env('PG_URL') });
  await dataSource.initialize();
  const server = new InboxServer({
    consumer: env('GROUP'),
    broker: process.env.RABBITMQ_URL
      ? new RabbitMqInboxBroker({ url: process.env.RABBITMQ_URL, exchanges: [env('TOPIC')] })
      : new KafkaInboxBroker({
          kafka: { ...kafkaClient('admin', env('KAFKA_BROKERS').split(',')), logLevel: logLevel.NOTHING },
          topics: [env('TOPIC')],
          sessionTimeoutMs: 6000, // the group forgets the killed member sooner
        }),
    dataSource,
    validate: validateThing,
    hooks: {
      afterTransactionCommit: () => {
        if (process.env.FAILPOINT === 'after-commit') process.kill(process.pid, 'SIGKILL');
      },
    },
  });
  const app = await createInboxMicroservice(EffectsModule, server, { logger: false });
  await app.listen();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
