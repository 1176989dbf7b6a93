/** What both consumer steps (Kafka, RabbitMQ) share: the effect, its handler, and how the rate is taken. */
import { Controller, Module } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { DataSource, EntityManager } from 'typeorm';
import { OrderPlacedV1, orderPlacedV1, parseEventData } from '@shop/contracts';
import { CreateInboxTable1764000000001, INBOX_DEFAULTS, InboxBroker, InboxSettings } from '@transactional-outbox/inbox';
import { createInboxMicroservice, InboxContext, InboxServer } from '@transactional-outbox/inbox/nest';
import { progress } from '../report';
import { sleep } from '../stats';

/** Messages per transaction in the baselines: the inbox's default. */
export const RUN = INBOX_DEFAULTS.transactionBatchSize;

/** The effect both consumers commit: a shipment-like row per order, as shipping-service writes. */
export const recordEffect = (manager: EntityManager, event: OrderPlacedV1) =>
  manager.query('INSERT INTO effects (order_id, item_count) VALUES ($1, $2) ON CONFLICT (order_id) DO NOTHING', [
    event.orderId,
    event.items.reduce((n, i) => n + i.quantity, 0),
  ]);

@Controller()
class EffectHandler {
  @EventPattern(orderPlacedV1.type)
  async handle(@Payload() event: OrderPlacedV1, @Ctx() ctx: InboxContext) {
    await recordEffect(ctx.manager, event);
  }
}

@Module({ controllers: [EffectHandler] })
export class EffectModule {}

/** The inbox table and the effects table in a bench database. */
export async function createConsumerTables(ds: DataSource): Promise<void> {
  const runner = ds.createQueryRunner();
  await new CreateInboxTable1764000000001().up(runner).finally(() => runner.release());
  await ds.query('CREATE TABLE effects (order_id uuid PRIMARY KEY, item_count int NOT NULL)');
}

/** Handled messages per second from the first to the last, so group joining is not counted. */
export function rateOf(times: number[]): number {
  return (times.length - 1) / ((times[times.length - 1] - times[0]) / 1000);
}

/** Waits until `count` messages are handled; `failure` is a consumer's error, ending the wait. */
export async function waitForCount(
  times: number[],
  count: number,
  label: string,
  failure: () => unknown = () => undefined,
): Promise<void> {
  const deadline = Date.now() + 600_000;
  let lastReport = Date.now();
  while (times.length < count) {
    const err = failure();
    if (err) throw err;
    if (Date.now() > deadline) throw new Error(`${label}: ${times.length}/${count} handled after 10 min`);
    if (Date.now() - lastReport > 5000) {
      lastReport = Date.now();
      progress(`consumer ${label}: ${times.length.toLocaleString('en-US')}/${count.toLocaleString('en-US')}`);
    }
    await sleep(20);
  }
}

/**
 * With the inbox: the library's transport on `broker`, defaults otherwise (`settings` says
 * which not); the rate of its commits.
 */
export async function inboxRate(
  ds: DataSource,
  broker: InboxBroker,
  count: number,
  label: string,
  settings: Partial<InboxSettings> = {},
): Promise<number> {
  const times: number[] = [];
  const server = new InboxServer({
    consumer: 'bench-inbox',
    broker,
    dataSource: ds,
    validate: parseEventData,
    ...settings,
    hooks: { afterTransactionCommit: () => void times.push(performance.now()) },
  });
  const app = await createInboxMicroservice(EffectModule, server, { logger: false });
  await app.listen();
  try {
    await waitForCount(times, count, label);
  } finally {
    await app.close();
  }
  return rateOf(times);
}
