/**
 * An inbox consumer in a process of its own, for tests that kill it. Environment:
 * PG_URL, KAFKA_BROKERS, TOPIC, GROUP, and FAILPOINT=after-commit to SIGKILL itself
 * after the first transaction commits and before its offset is committed.
 */
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { logLevel } from 'kafkajs';
import { KafkaInboxServer } from '../src';
import { EffectsModule, validateThing } from './effects-handler';

const env = (name: string) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};

async function main() {
  const dataSource = new DataSource({ type: 'postgres', url: env('PG_URL') });
  await dataSource.initialize();
  const server = new KafkaInboxServer({
    consumer: env('GROUP'),
    topics: [env('TOPIC')],
    kafka: { brokers: env('KAFKA_BROKERS').split(','), logLevel: logLevel.NOTHING },
    dataSource,
    validate: validateThing,
    sessionTimeoutMs: 6000, // the group forgets the killed member sooner
    hooks: {
      afterTransactionCommit: () => {
        if (process.env.FAILPOINT === 'after-commit') process.kill(process.pid, 'SIGKILL');
      },
    },
  });
  const app = await NestFactory.createMicroservice(EffectsModule, { strategy: server, logger: false });
  await app.listen();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
