/**
 * A relay in a process of its own, for tests that kill it. Environment:
 * PG_URL, KAFKA_BROKERS, TOPIC, and FAILPOINT=after-claim|after-publish to SIGKILL
 * itself at that point of the first batch.
 */
import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { Kafka, logLevel } from 'kafkajs';
import { kafkaClient } from '@shop/infra';
import { OutboxRelay } from '../src';
import { KafkaJsPublisher } from '../src/kafkajs';

const env = (name: string) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};

async function main() {
  const dataSource = new DataSource({ type: 'postgres', url: env('PG_URL') });
  await dataSource.initialize();
  const die = () => void process.kill(process.pid, 'SIGKILL');
  const failpoint = process.env.FAILPOINT;
  const relay = new OutboxRelay(
    dataSource,
    new KafkaJsPublisher(
      new Kafka({ ...kafkaClient('admin', env('KAFKA_BROKERS').split(',')), logLevel: logLevel.NOTHING }),
    ),
    {
      topicFor: () => env('TOPIC'),
      hooks: {
        afterClaim: failpoint === 'after-claim' ? die : undefined,
        afterPublish: failpoint === 'after-publish' ? die : undefined,
      },
    },
  );
  const published = await relay.relayBatch();
  await relay.stop();
  await dataSource.destroy();
  console.log(JSON.stringify({ published }));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
