import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { ORDER_EVENTS_TOPIC, SUBSCRIPTIONS } from '@shop/contracts';
import {
  connectRunning,
  crashPostgres,
  kafkaClient,
  killBroker,
  killRabbitmq,
  operatorAuthorization,
  pauseBroker,
  pauseRabbitmq,
  rabbitmqUrl,
  resumeBroker,
  resumeRabbitmq,
  startBroker,
  startRabbitmq,
  readMailbox,
  queryAsAdmin as queryDb,
  readWholeTopic as readAll,
  RunningService,
  ServiceName,
  servicePort,
  serviceUrl,
  sleep,
  startConnect,
  startPostgres,
  startService,
  waitFor,
} from '@shop/infra';
import { BrokerView, KafkaView, RabbitMqView } from './broker-view';
import { dropRelaySlots, RelayBarrier, RelayMode } from './relay-modes';
import { pendingByPlace, timedHealth } from './probes';

export const SERVICES: ServiceName[] = ['order-service', 'shipping-service', 'email-service'];

export interface PlacedOrder {
  email: string;
  status: number | 'error';
  orderId?: string;
}

export interface PlaceOptions {
  concurrency?: number;
  /** Where to send each request; several URLs (replicas) are used in turn. */
  urls?: () => string[];
  /** Stops early (the orders placed so far are returned) once this resolves true. */
  until?: () => boolean;
  /** Each worker's pause after each request: a steady trickle instead of a burst. */
  intervalMs?: number;
}

export type Figures = Awaited<ReturnType<FaultSystem['reconcile']>>;

/** What every scenario must end with, whatever it injected. */
export function expectClean(f: Figures): void {
  expect(f).toMatchObject({
    missingOrders: 0,
    halfWrittenOrders: 0,
    extraOutboxRows: 0,
    eventsMissingOnTopic: 0,
    ordersWithoutShipment: 0,
    duplicateShipments: 0,
    ordersWithoutEmail: 0,
    outOfOrderOnTopic: 0,
    consumedOutOfOrder: 0,
    shipmentsNotCancelled: 0,
    cancellationEmailsMissing: 0,
    duplicateCancellationEmails: 0,
  });
  expect(f.acknowledged).toBeGreaterThan(0);
}

/** The three services as processes on one broker, with the controls fault scenarios need. */
export class FaultSystem {
  readonly run = randomUUID().slice(0, 8);
  private placed = 0; // numbers every order of the run, so addresses never repeat
  private readonly services = new Map<ServiceName, RunningService>();
  readonly kafka = new Kafka({ clientId: 'fault-harness', ...kafkaClient(), logLevel: logLevel.NOTHING });
  /** What the broker got and what the consumers have not acknowledged. */
  readonly view: BrokerView;
  /** The broker's own faults: SIGKILL and restart, SIGSTOP and SIGCONT. */
  readonly brokerControl: { kill(): Promise<void>; start(): Promise<void>; pause(): void; resume(): void };
  /** What every service of the run is started with: the broker, and the relay mode if one was given. */
  private readonly baseEnv: NodeJS.ProcessEnv;

  /** Without a relay mode, the services take RELAY_MODE from the environment (polling if unset). */
  constructor(
    readonly broker: 'kafka' | 'rabbitmq' = 'kafka',
    private readonly relayMode?: RelayMode,
  ) {
    const relayEnv = relayMode ? { RELAY_MODE: relayMode } : {};
    if (broker === 'kafka') {
      this.view = new KafkaView(this.kafka, SUBSCRIPTIONS);
      this.brokerControl = { kill: killBroker, start: startBroker, pause: pauseBroker, resume: resumeBroker };
      this.baseEnv = { BROKER: 'kafka', ...relayEnv };
    } else {
      this.view = new RabbitMqView(SUBSCRIPTIONS, this.run);
      this.brokerControl = { kill: killRabbitmq, start: startRabbitmq, pause: pauseRabbitmq, resume: resumeRabbitmq };
      this.baseEnv = { BROKER: 'rabbitmq', ...relayEnv };
    }
  }

  /** On RabbitMQ each service logs in as its own user, with only its own permissions. */
  private envOf(name: ServiceName): NodeJS.ProcessEnv {
    return this.broker === 'rabbitmq' ? { ...this.baseEnv, RABBITMQ_URL: rabbitmqUrl(name) } : this.baseEnv;
  }

  private get mode(): RelayMode {
    return this.relayMode ?? (process.env.RELAY_MODE as RelayMode | undefined) ?? 'polling';
  }

  /**
   * Starts the services, and Kafka Connect under Debezium once they have migrated. With a
   * relay mode given, slots left by an earlier run are dropped first (and again by stopAll).
   */
  async startAll(): Promise<void> {
    if (this.relayMode) await dropRelaySlots(this.relayMode);
    await this.view.open?.();
    await Promise.all(SERVICES.map((name) => this.start(name)));
    if (this.mode === 'debezium' && !(await connectRunning())) await startConnect();
  }

  async start(
    name: ServiceName,
    env: NodeJS.ProcessEnv = {},
    opts?: Parameters<typeof startService>[2],
  ): Promise<RunningService> {
    const service = await startService(name, { ...this.envOf(name), ...env }, opts);
    this.services.set(name, service);
    return service;
  }

  /** Another instance of a service, on its own port (10 × index above the usual one). */
  startReplica(name: ServiceName, index: number, env: NodeJS.ProcessEnv = {}): Promise<RunningService> {
    return startService(name, { ...this.envOf(name), ...env, PORT: String(servicePort(name) + 10 * index) });
  }

  /** Orders requested so far in this run, answered or not. */
  get placedCount(): number {
    return this.placed;
  }

  service(name: ServiceName): RunningService {
    const s = this.services.get(name);
    if (!s) throw new Error(`${name} is not running`);
    return s;
  }

  /** Restarts a service (killed or alive) with a fresh environment. */
  async restart(name: ServiceName, env: NodeJS.ProcessEnv = {}): Promise<void> {
    await this.services.get(name)?.stop('SIGKILL');
    await this.start(name, env);
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.services.values()].map((s) => s.stop()));
    this.services.clear();
    await this.view.close();
    if (this.relayMode) await dropRelaySlots(this.relayMode);
  }

  /** Places orders over HTTP, a few at a time; failures are kept, not thrown. */
  async placeOrders(count: number, concurrencyOrOptions: number | PlaceOptions = 5): Promise<PlacedOrder[]> {
    const opts =
      typeof concurrencyOrOptions === 'number' ? { concurrency: concurrencyOrOptions } : concurrencyOrOptions;
    const urls = opts.urls ?? (() => [serviceUrl('order-service')]);
    const results: PlacedOrder[] = [];
    let next = 0;
    const worker = async () => {
      while (next < count && !opts.until?.()) {
        const live = urls();
        const url = live[next++ % live.length];
        const email = `fault+${this.run}-${this.placed++}@example.com`;
        try {
          const res = await fetch(`${url}/orders`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({
              customerId: `fault-${this.run}`,
              contactEmail: email,
              items: [{ sku: 'FAULT-1', quantity: 1, unitPriceCents: 100 }],
              shippingAddress: { line1: 'Main 1', city: 'Berlin', postalCode: '10115', country: 'DE' },
            }),
            signal: AbortSignal.timeout(10_000),
          });
          const body = (await res.json()) as { id?: string };
          results.push({ email, status: res.status, orderId: res.status === 201 ? body.id : undefined });
        } catch {
          results.push({ email, status: 'error' });
        }
        if (opts.intervalMs) await sleep(opts.intervalMs);
      }
    };
    await Promise.all(Array.from({ length: opts.concurrency ?? 5 }, worker));
    return results;
  }

  /**
   * Places orders before and while the broker is frozen for 40 s, asking every service's health
   * meanwhile; the broker is resumed whatever happens.
   */
  async placeOrdersWhileFrozen() {
    const before = await this.placeOrders(10, 2);
    this.brokerControl.pause();
    const health: Awaited<ReturnType<typeof timedHealth>>[] = [];
    try {
      const orders = [...before, ...(await this.placeOrders(20, 2))];
      const pausedAt = Date.now();
      for (const name of SERVICES) health.push(await timedHealth(this.service(name).url));
      await sleep(Math.max(0, 40_000 - (Date.now() - pausedAt)));
      return { orders, health };
    } finally {
      this.brokerControl.resume();
    }
  }

  /**
   * Orders placed while PostgreSQL stops at once (as in a crash) and comes back 3 s later,
   * then 10 more once the pools have reconnected.
   */
  async placeOrdersThroughPostgresCrash(): Promise<{ during: PlacedOrder[]; after: PlacedOrder[] }> {
    const placing = this.placeOrders(60, 3);
    await sleep(200);
    await crashPostgres();
    await sleep(3000);
    await startPostgres();
    const during = await placing;
    return { during, after: await this.placeOrders(10, 2) };
  }

  /** Cancels orders over HTTP; returns the ids the API confirmed (200). */
  async cancelOrders(orderIds: string[], urls = () => [serviceUrl('order-service')]): Promise<string[]> {
    const cancelled: string[] = [];
    for (const [i, id] of orderIds.entries()) {
      const live = urls();
      try {
        const res = await fetch(`${live[i % live.length]}/orders/${id}/cancel`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...operatorAuthorization() },
          body: JSON.stringify({ reason: 'fault drill' }),
          signal: AbortSignal.timeout(10_000),
        });
        if (res.status === 200) cancelled.push(id);
      } catch {
        // not confirmed: it may or may not have happened, so it is not counted
      }
    }
    return cancelled;
  }

  /**
   * Waits until nothing is pending anywhere: outboxes drained (under Debezium: a barrier
   * event published after everything else), no lag, no unsent email.
   * On timeout the error names what was still pending at the last check.
   */
  async quiesce(timeoutMs = 120_000): Promise<void> {
    let quietChecks = 0;
    let pending = 'not checked';
    const barrier = this.mode === 'debezium' ? new RelayBarrier() : undefined;
    try {
      await waitFor(
        'quiescence',
        async () => {
          pending = await this.pendingWork();
          if (barrier && pending === '') pending = await barrier.pending();
          else barrier?.reset();
          quietChecks = pending === '' ? quietChecks + 1 : 0;
          if (pending === '') await sleep(500);
          return quietChecks >= 3;
        },
        timeoutMs,
      );
    } catch (err) {
      throw new Error(`${(err as Error).message}; still pending at the last check: ${pending}`);
    } finally {
      await barrier?.close();
    }
  }

  /** What is not done yet, as `what=count` pairs; empty when everything is done. */
  private async pendingWork(): Promise<string> {
    const work: Record<string, number | string> = await pendingByPlace();
    try {
      for (const [consumer, lag] of Object.entries(await this.view.lag())) work[`lag:${consumer}`] = lag;
    } catch (err) {
      // A broker that has just come back may not serve group offsets yet: not quiet, ask again.
      work.lag = `unknown (${(err as Error).message})`;
    }
    return Object.entries(work)
      .filter(([, n]) => n !== 0)
      .map(([what, n]) => `${what}=${n}`)
      .join(' ');
  }

  /**
   * Checks every acknowledged order end to end, reading the databases, the topic from
   * offset 0 and the SMTP sink. Returns the figures and prints them on one line.
   */
  async reconcile(orders: PlacedOrder[], label: string, cancelled: string[] = []) {
    const acked = orders.filter((o) => o.orderId).map((o) => o.orderId as string);
    const ackedEmails = new Set(orders.filter((o) => o.orderId).map((o) => o.email));
    const stored = await queryDb('orders', 'SELECT id FROM orders WHERE id = ANY($1::uuid[])', [acked]);
    // Published rows are deleted after the relay's retention, so the topic is the record of
    // what was published; the rows still present must match it.
    const outboxRows = await queryDb(
      'orders',
      `SELECT id, aggregateid FROM outbox WHERE type = 'order.placed.v1' AND aggregateid = ANY($1::text[])`,
      [acked],
    );
    const topic = await this.view.published(ORDER_EVENTS_TOPIC);
    const placedCopies = new Map<string, number>(); // order id → copies of its order.placed.v1
    const onTopic = new Set<string>(); // event ids
    for (const m of topic) {
      onTopic.add(m.id);
      if (m.type === 'order.placed.v1') placedCopies.set(m.key, (placedCopies.get(m.key) ?? 0) + 1);
    }
    const rowsPerOrder = new Map<string, number>();
    for (const r of outboxRows) rowsPerOrder.set(r.aggregateid, (rowsPerOrder.get(r.aggregateid) ?? 0) + 1);
    // A request that failed or timed out: its order exists whole (with its event) or not at all.
    const unanswered = orders.filter((o) => !o.orderId).map((o) => o.email);
    const unansweredStored = await queryDb(
      'orders',
      `SELECT o.id, EXISTS (SELECT 1 FROM outbox x WHERE x.aggregateid = o.id::text AND x.type = 'order.placed.v1') AS has_row
         FROM orders o WHERE o.contact_email = ANY($1::text[])`,
      [unanswered],
    );
    const halfWritten = unansweredStored.filter((o) => !o.has_row && !placedCopies.has(o.id));
    // Per order, the first copy of order.placed must precede the first copy of order.cancelled.
    const firstOffset = new Map<string, number>();
    for (const m of topic) {
      const key = `${m.key}/${m.type}`;
      if (!firstOffset.has(key)) firstOffset.set(key, m.position);
    }
    const outOfOrder = cancelled.filter(
      (id) =>
        !((firstOffset.get(`${id}/order.placed.v1`) ?? Infinity) < (firstOffset.get(`${id}/order.cancelled.v1`) ?? -1)),
    );
    // A cancellation consumed before its placement leaves a tombstone (no items) instead.
    const cancelledShipments = await queryDb(
      'shipping',
      'SELECT order_id, status, item_count FROM shipments WHERE order_id = ANY($1::uuid[])',
      [cancelled],
    );
    const shipments = await queryDb(
      'shipping',
      'SELECT order_id, count(*)::int AS n FROM shipments WHERE order_id = ANY($1::uuid[]) GROUP BY order_id',
      [acked],
    );
    const mail = await readMailbox();
    const cancelledEmails = new Set(orders.filter((o) => cancelled.includes(o.orderId ?? '')).map((o) => o.email));
    const confirmations = new Map<string, string[]>();
    const cancellations = new Map<string, string[]>();
    for (const m of mail.messages) {
      const to = m.To[0]?.Address;
      if (ackedEmails.has(to) && m.Subject.endsWith('is confirmed'))
        confirmations.set(to, [...(confirmations.get(to) ?? []), m.MessageID]);
      if (cancelledEmails.has(to) && m.Subject.endsWith('was cancelled'))
        cancellations.set(to, [...(cancellations.get(to) ?? []), m.MessageID]);
    }
    // A copy with the same Message-ID is a resend a mail server can drop; another ID is a second email.
    const sent = [...confirmations.values(), ...cancellations.values()];
    const distinct = (ids: string[]) => new Set(ids).size;
    const figures = {
      acknowledged: acked.length,
      failedRequests: orders.length - acked.length,
      missingOrders: acked.length - stored.length,
      halfWrittenOrders: halfWritten.length,
      extraOutboxRows: [...rowsPerOrder.values()].reduce((sum, n) => sum + n - 1, 0),
      eventsMissingOnTopic:
        acked.filter((id) => !placedCopies.has(id)).length + outboxRows.filter((r) => !onTopic.has(r.id)).length,
      duplicatesOnTopic: acked.reduce((sum, id) => sum + Math.max(0, (placedCopies.get(id) ?? 0) - 1), 0),
      ordersWithoutShipment: acked.length - shipments.length,
      duplicateShipments: shipments.filter((s) => s.n > 1).length,
      ordersWithoutEmail: [...ackedEmails].filter((e) => !confirmations.has(e)).length,
      duplicateEmailDeliveries: [...confirmations.values()].reduce((sum, ids) => sum + ids.length - 1, 0),
      distinctMessageIdsPerOrderMax: Math.max(0, ...[...confirmations.values()].map((ids) => new Set(ids).size)),
      cancelled: cancelled.length,
      outOfOrderOnTopic: outOfOrder.length,
      consumedOutOfOrder: cancelledShipments.filter((s) => s.item_count === 0).length,
      shipmentsNotCancelled: cancelled.length - cancelledShipments.filter((s) => s.status === 'CANCELLED').length,
      cancellationEmailsMissing: cancelledEmails.size - cancellations.size,
      duplicateCancellationEmails: [...cancellations.values()].reduce((sum, ids) => sum + ids.length - 1, 0),
      emailsResentWithSameMessageId: sent.reduce((sum, ids) => sum + ids.length - distinct(ids), 0),
      emailsWithSecondMessageId: sent.reduce((sum, ids) => sum + distinct(ids) - 1, 0),
    };
    printFigures(label, figures);
    return figures;
  }
}

/** A scenario's figures on one `reconcile[<label>]: k=v …` line, as docs/reliability.md quotes them. */
export function printFigures(label: string, figures: Record<string, number>): void {
  console.log(
    `reconcile[${label}]: ${Object.entries(figures)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')}`,
  );
}

export { queryDb, readAll };
