/**
 * Chapter 9's walkthrough: the outbox and the inbox on RabbitMQ, with nothing but the two
 * libraries, amqplib and TypeORM. One run, in order:
 *
 *  1. the consumer's queue is declared first (the queue is the subscription);
 *  2. an order row and its outbox row commit in one transaction;
 *  3. the relay publishes the row through RabbitMqPublisher and marks it after the confirm;
 *  4. a consumer process commits the shipment with its inbox row and is killed (SIGKILL)
 *     before its ack: the broker puts the message back;
 *  5. the next consumer gets the redelivered copy; the inbox skips it, then acks;
 *  6. a message that is not JSON goes to `<queue>.dlt` with the inbox's dlt-* headers;
 *  7. an event for an exchange with no queue bound is refused and parked after maxAttempts.
 *
 * Run: DATABASE_URL=… RABBITMQ_URL=… node -r @swc-node/register docs/tutorial/09-rabbitmq/rabbitmq-walkthrough.ts
 * (with `--crash-after-commit` it is the consumer of step 4).
 */
import 'reflect-metadata';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect } from 'amqplib';
import { DataSource } from 'typeorm';
import { CreateInboxTable1764000000001, Inbox, InboxLogger } from '@transactional-outbox/inbox';
import { declareInboxQueue, inboxQueueTopology, RabbitMqInboxBroker } from '@transactional-outbox/inbox/rabbitmq';
import {
  CreateOutboxTable1764000000000,
  Outbox,
  OutboxAdmin,
  OutboxPublisher,
  OutboxRecord,
  OutboxRelay,
} from '@transactional-outbox/outbox';
import { RabbitMqPublisher } from '@transactional-outbox/outbox/rabbitmq';

const DATABASE_URL = required('DATABASE_URL');
const RABBITMQ_URL = required('RABBITMQ_URL');
// Not the relay's default `outbox.event.<type>`: the services' queues on the same node are bound to those.
const topicFor = (aggregateType: string) => `tutorial.event.${aggregateType}`;
const EXCHANGE = topicFor('order');
const CONSUMER = 'tutorial-shipping'; // the inbox's dedup scope, and part of the queue's name
const topology = inboxQueueTopology(EXCHANGE, CONSUMER);
const quiet: InboxLogger = { log: () => undefined, warn: () => undefined, error: () => undefined };
const say = (line: string) => console.log(line);

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

async function database(): Promise<DataSource> {
  const dataSource = new DataSource({
    type: 'postgres',
    url: DATABASE_URL,
    migrations: [CreateOutboxTable1764000000000, CreateInboxTable1764000000001],
  });
  await dataSource.initialize();
  await dataSource.runMigrations();
  await dataSource.query('CREATE TABLE IF NOT EXISTS orders (id uuid PRIMARY KEY, customer text NOT NULL)');
  await dataSource.query('CREATE TABLE IF NOT EXISTS shipments (order_id uuid PRIMARY KEY)');
  return dataSource;
}

/** The shipping consumer: one shipment per order.placed.v1, written with ctx.manager. */
function shippingInbox(dataSource: DataSource, hooks?: { afterTransactionCommit(): void }): Inbox {
  return new Inbox({
    consumer: CONSUMER,
    broker: new RabbitMqInboxBroker({ url: RABBITMQ_URL, exchanges: [EXCHANGE] }),
    dataSource,
    logger: quiet,
    hooks,
    handlerFor: (type) =>
      type === 'order.placed.v1'
        ? async (data, ctx) => {
            const { orderId } = data as { orderId: string };
            await ctx.manager.query('INSERT INTO shipments (order_id) VALUES ($1)', [orderId]);
          }
        : undefined,
  });
}

/** Step 4 in a process of its own: commit, then die before the ack, as a crash would. */
async function crashAfterCommit(): Promise<void> {
  const dataSource = new DataSource({ type: 'postgres', url: DATABASE_URL });
  await dataSource.initialize();
  shippingInbox(dataSource, {
    afterTransactionCommit: () => {
      say(`consumer (pid ${process.pid}): shipment and inbox row committed; killed before its ack`);
      process.kill(process.pid, 'SIGKILL');
    },
  }).start();
}

/** The RabbitMQ publisher, saying what the broker answered for each record. */
class TellingPublisher implements OutboxPublisher {
  constructor(private readonly inner: RabbitMqPublisher) {}

  async publish(records: readonly OutboxRecord[]) {
    const results = await this.inner.publish(records);
    records.forEach((r, i) => {
      const result = results[i];
      say(
        result.status === 'published'
          ? `relay: ${r.headers.type} to exchange ${r.destination}, routing key ${r.headers.type}: publisher confirm`
          : `relay: ${r.headers.type} ${result.status}: ${result.error}`,
      );
    });
    return results;
  }

  close() {
    return this.inner.close();
  }
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await sleep(50)) if (await check()) return;
  throw new Error(`timed out waiting for ${what}`);
}

async function main(): Promise<void> {
  const dataSource = await database();
  const amqp = await connect(RABBITMQ_URL);
  const channel = await amqp.createChannel();
  const ready = async () => (await channel.checkQueue(topology.queue)).messageCount;
  const shipments = async (orderId: string) =>
    Number((await dataSource.query('SELECT count(*) AS n FROM shipments WHERE order_id = $1', [orderId]))[0].n);

  // A run starts from nothing: no queue of an earlier run, no unrouted rows left behind.
  await channel.deleteQueue(topology.queue);
  await channel.deleteQueue(topology.deadLetterQueue);
  await dataSource.query('TRUNCATE outbox, inbox, orders, shipments');

  // 1. The topology first: a message that reaches the exchange while no queue is bound is not kept.
  await declareInboxQueue(channel, topology);
  say(`queue ${topology.queue}: quorum, single active consumer, delivery limit 20, bound to ${EXCHANGE} with "#"`);

  // 2. The business row and the event, one transaction.
  const outbox = new Outbox();
  const orderId = randomUUID();
  await dataSource.transaction(async (manager) => {
    await manager.query('INSERT INTO orders (id, customer) VALUES ($1, $2)', [orderId, 'ada']);
    await outbox.add(
      {
        id: randomUUID(),
        type: 'order.placed.v1',
        aggregateType: 'order',
        aggregateId: orderId,
        occurredAt: new Date().toISOString(),
        data: { orderId },
      },
      manager,
    );
  });
  say(`committed order ${orderId} and its outbox row order.placed.v1 in one transaction`);

  // 3. The relay: sends, waits for the confirm, then marks the row published.
  const admin = new OutboxAdmin(dataSource);
  const relay = new OutboxRelay(dataSource, new TellingPublisher(new RabbitMqPublisher(RABBITMQ_URL)), {
    topicFor,
    pollIntervalMs: 100,
    maxAttempts: 2,
    retryBackoffMs: 100,
    logger: quiet,
  });
  await relay.start();
  await until('the row published', async () => (await admin.stats()).pending === 0);
  say(`outbox row marked published; ${await ready()} message ready in ${topology.queue}, no consumer yet`);

  // 4. A consumer that dies between its commit and its ack.
  const child = spawn(process.execPath, ['-r', '@swc-node/register', __filename, '--crash-after-commit'], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const signal = await new Promise((resolve) => child.once('exit', (_code, sig) => resolve(sig)));
  await until('the message back in the queue', async () => (await ready()) === 1);
  say(
    `consumer exited by ${signal}; shipments for the order: ${await shipments(orderId)}; ` +
      `the broker put the unacknowledged message back: ${await ready()} ready`,
  );

  // 5. The next consumer gets the copy; the inbox row says it was handled.
  const inbox = shippingInbox(dataSource);
  inbox.start();
  await until('the copy skipped', async () => inbox.stats.duplicates === 1);
  await until('the copy acknowledged', async () => (await ready()) === 0);
  say(
    `consumer: the redelivered copy skipped as a duplicate, then acked; ` +
      `shipments for the order: ${await shipments(orderId)}; ${await ready()} ready`,
  );

  // 6. A poison message, as a misbehaving producer would publish it.
  channel.publish(EXCHANGE, 'order.placed.v1', Buffer.from('{not json'), { persistent: true });
  await until('the poison message dead-lettered', async () => inbox.stats.deadLettered === 1);
  await until('it to arrive', async () => (await channel.checkQueue(topology.deadLetterQueue)).messageCount === 1);
  const dead = await new Promise<{ content: Buffer; properties: { headers?: Record<string, unknown> } }>(
    (resolve) => void channel.consume(topology.deadLetterQueue, (m) => m && resolve(m), { noAck: true }),
  );
  const h = dead.properties.headers ?? {};
  say(
    `dead letter in ${topology.deadLetterQueue}: "${dead.content.toString()}", ` +
      `dlt-error "${h['dlt-error']}", dlt-original-topic ${h['dlt-original-topic']}, dlt-consumer ${h['dlt-consumer']}`,
  );

  // 7. An event whose exchange has no queue bound: returned by the broker, so refused, then parked.
  await dataSource.transaction((manager) =>
    outbox.add(
      {
        id: randomUUID(),
        type: 'invoice.issued.v1',
        aggregateType: 'invoice',
        aggregateId: randomUUID(),
        occurredAt: new Date().toISOString(),
        data: {},
      },
      manager,
    ),
  );
  await until('the row parked', async () => (await admin.listParked()).length === 1);
  const [parked] = await admin.listParked();
  say(`parked after ${parked.attempts} attempts: ${parked.type}, ${parked.last_error}`);

  await inbox.stop();
  await relay.stop();
  // Leave no queue behind to collect what later runs (or the demo) publish to this exchange.
  await channel.deleteQueue(topology.queue);
  await channel.deleteQueue(topology.deadLetterQueue);
  await channel.deleteExchange(topology.deadLetterQueue);
  await amqp.close();
  await dataSource.destroy();
  say(`inbox stats: ${JSON.stringify(inbox.stats)}`);
}

(process.argv.includes('--crash-after-commit') ? crashAfterCommit() : main()).catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
