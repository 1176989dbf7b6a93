import { connect } from 'amqplib';
import { rabbitmqUrl } from '@shop/infra';
import { RabbitMqPublisher } from '@transactional-outbox/outbox/rabbitmq';
import { progress, ResultRow, row } from '../report';
import { benchDatabase } from '../fixtures';
import { boundExchange } from '../rabbitmq';
import { percentile } from '../stats';
import { Latency, measureCommitToPublish } from './commit-to-publish';

/**
 * What the node alone takes: one persistent, mandatory message at a time to a quorum queue,
 * published and confirmed. No relay can publish faster than this.
 */
async function brokerConfirm(exchange: string, count: number): Promise<Latency> {
  const connection = await connect(rabbitmqUrl());
  const samples: number[] = [];
  try {
    const channel = await connection.createConfirmChannel();
    const content = Buffer.from('x'.repeat(500));
    for (let i = 0; i < count + 10; i++) {
      const t = performance.now();
      await new Promise<void>((resolve, reject) =>
        channel.publish(exchange, 'bench.ack', content, { persistent: true, mandatory: true }, (err: unknown) =>
          err ? reject(new Error('nack')) : resolve(),
        ),
      );
      if (i >= 10) samples.push(performance.now() - t); // the first ones warm up
    }
  } finally {
    await connection.close();
  }
  const result = { p50: percentile(samples, 50), p99: percentile(samples, 99) };
  progress(`amqplib publish→confirm alone: p50 ${result.p50.toFixed(1)} ms, p99 ${result.p99.toFixed(1)} ms`);
  return result;
}

/**
 * Metric 3 on RabbitMQ: the relay woken on commit, as on Kafka and at the same rate, with
 * Kafka's figures of this run as the baseline.
 */
export async function rabbitmqCommitToPublish(rate: number, durationMs: number, kafka: Latency): Promise<ResultRow[]> {
  const db = await benchDatabase('bench_latency', 'orders');
  const { exchange, remove } = await boundExchange('latency');
  try {
    const woken = await measureCommitToPublish(db, new RabbitMqPublisher(rabbitmqUrl()), exchange, {
      label: 'RabbitMQ, woken on commit',
      wake: true,
      rate,
      durationMs,
    });
    const confirm = await brokerConfirm(exchange, 300);
    return [
      row('3. commit→publish p50, RabbitMQ (baseline: Kafka)', woken.p50, kafka.p50, 'ms', 'context', undefined),
      row('3. commit→publish p99, RabbitMQ (baseline: Kafka)', woken.p99, kafka.p99, 'ms', 'context', undefined),
      row('3. amqplib publish→confirm of one message, p50', confirm.p50, null, 'ms', 'context', undefined),
      row('3. amqplib publish→confirm of one message, p99', confirm.p99, null, 'ms', 'context', undefined),
    ];
  } finally {
    await db.drop();
    await remove();
  }
}
