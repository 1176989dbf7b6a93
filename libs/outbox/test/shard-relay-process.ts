/**
 * A sharded relay in a process of its own, for tests and benchmarks that run several and
 * kill some. Environment: PG_URL, KAFKA_BROKERS, TOPIC, NAME, SHARDS. Prints a JSON line
 * `{"led":[…]}` whenever the shards it leads change, `{"published":n}` (rows so far) when that
 * grew, and `{"log":…}` for each log line;
 * SIGTERM stops it (stepping down).
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

const print = (log: string, context?: Record<string, unknown>) =>
  void process.stdout.write(`${JSON.stringify({ log, ...context })}\n`);

async function main() {
  const dataSource = new DataSource({ type: 'postgres', url: env('PG_URL'), extra: { max: 20 } });
  await dataSource.initialize();
  let published = 0;
  const relay = new OutboxRelay(
    dataSource,
    new KafkaJsPublisher(
      new Kafka({ ...kafkaClient('admin', env('KAFKA_BROKERS').split(',')), logLevel: logLevel.NOTHING }),
    ),
    {
      name: env('NAME'),
      shards: Number(env('SHARDS')),
      topicFor: () => env('TOPIC'),
      notifyChannel: '',
      pollIntervalMs: 50,
      standbyRetryMs: 100,
      logger: { log: print, warn: print, error: print },
      hooks: { afterPublish: (rows) => void (published += rows.length) },
    },
  );
  await relay.start();
  let reported = '';
  let reportedPublished = 0;
  const report = setInterval(() => {
    const led = JSON.stringify(relay.ledShards);
    if (led !== reported) process.stdout.write(`${JSON.stringify({ led: relay.ledShards })}\n`);
    reported = led;
    if (published !== reportedPublished) process.stdout.write(`${JSON.stringify({ published })}\n`);
    reportedPublished = published;
  }, 10);
  process.once('SIGTERM', () => {
    clearInterval(report);
    void relay
      .stop()
      .then(() => dataSource.destroy())
      .then(() => process.exit(0));
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
