import { DataSource, EntitySubscriberInterface, TransactionCommitEvent } from 'typeorm';
import { IHeaders, Kafka, Message, Partitioners, Producer } from 'kafkajs';
import { outboxSql, PendingRow } from './outbox-store';
import { errorMessage, isRecordError } from './publish-error';
import { OutboxMetrics } from './outbox-metrics';
import { RelaySession } from './relay-session';
import { BlockedAggregates } from './blocked-aggregates';

export interface OutboxLogger {
  log(message: string, context?: Record<string, unknown>): void;
  warn(message: string, context?: Record<string, unknown>): void;
  error(message: string, context?: Record<string, unknown>): void;
}

/** Points where tests and fault drills stop the relay (e.g. SIGKILL between publish and mark). */
export interface OutboxRelayHooks {
  afterClaim?(rows: readonly PendingRow[]): void | Promise<void>;
  afterPublish?(rows: readonly PendingRow[]): void | Promise<void>;
}

export interface OutboxRelayOptions {
  /** Relays with the same name elect one leader among them. Default `outbox`. */
  name?: string;
  /** Maps an aggregate type to its topic. Default: Debezium's `outbox.event.<aggregateType>`. */
  topicFor?: (aggregateType: string) => string;
  /** Rows claimed and sent per Kafka request. Default 500. */
  batchSize?: number;
  /** Fallback poll when no wake-up arrives. Default 1000 ms. */
  pollIntervalMs?: number;
  /** LISTEN channel for wake-ups from other processes; empty string turns it off. Default `outbox`. */
  notifyChannel?: string;
  /** How often a standby tries to become leader. Default 2000 ms. */
  standbyRetryMs?: number;
  /** A leader silent this long is taken as stuck and its session ended. Default 30 s. */
  leaderStaleAfterMs?: number;
  /** First back-off after a failure; doubles per failure, with jitter. Default 250 ms. */
  retryBackoffMs?: number;
  /** Ceiling of that back-off. Default 30 s. */
  maxRetryBackoffMs?: number;
  /** Attempts after which a row the broker keeps refusing is parked. Default 10. */
  maxAttempts?: number;
  /** Published rows older than this are deleted. Default 300 s. */
  retentionSeconds?: number;
  /** How often retention runs. Default 10 s. */
  retentionIntervalMs?: number;
  /** Rows deleted per statement; at most 10 statements per run. Default 5000. */
  retentionBatchSize?: number;
  /** VACUUM the table after a retention run that deleted rows. Default true. */
  vacuumAfterRetention?: boolean;
  logger?: OutboxLogger;
  metrics?: OutboxMetrics;
  hooks?: OutboxRelayHooks;
}

type Settings = Required<Omit<OutboxRelayOptions, 'metrics' | 'hooks'>> & Pick<OutboxRelayOptions, 'metrics' | 'hooks'>;

class BrokerUnavailableError extends Error {}

const silentLogger: OutboxLogger = { log: () => undefined, warn: () => undefined, error: () => undefined };

/** Longest pause between vacuums that remove nothing. */
const MAX_VACUUM_PAUSE_MS = 60_000;

/** How often, at most, the relay moves its scan frontier while it publishes. */
const FRONTIER_INTERVAL_MS = 50;

/** Set on a transaction's QueryRunner by `Outbox.add`; read after its commit. */
export const OUTBOX_ADDED = 'outboxAdded';

/**
 * Publishes outbox rows to Kafka and marks them published only after the broker
 * acknowledged them (acks=all): at least once.
 *
 * One relay per name leads at a time (a PostgreSQL advisory lock); the others stand by
 * and take over within `standbyRetryMs` when the leader's connection ends, or after
 * `leaderStaleAfterMs` when the leader is stuck. A single leader with an idempotent
 * producer and one request in flight keeps every aggregate's events in `seq` order.
 */
export class OutboxRelay {
  private readonly settings: Settings;
  private readonly producer: Producer;
  private session?: RelaySession;
  private leader = false;
  private running = false;
  private loop?: Promise<void>;
  private wakePending = false;
  private interruptSleep?: () => void;
  private failures = 0;
  private lastRetentionAt = 0;
  private heartbeat?: NodeJS.Timeout;
  private vacuuming?: Promise<void>;
  /** Claims scan from this seq up; see outboxSql.frontier. */
  private frontier = '0';
  /** A seq value from one frontier statement and the writers a later one saw. */
  private frontierCheck?: { lastSeq: string; writers?: string[] };
  /** A seq value all of whose writers have ended: the next frontier statement may pass it. */
  private settledSeq: string | null = null;
  private markedSinceFrontier = false;
  private advancing?: Promise<void>;
  /** Leadership terms, so that a frontier read in one is not applied in the next. */
  private term = 0;
  /** Retention deletes from this published_at on; see outboxSql.deletePublished. */
  private retainedFrom: string | null = null;
  /** Grows while vacuums leave the dead rows where they were (a held xmin horizon). */
  private vacuumPauseMs = 0;
  private lastVacuumAt = 0;
  private frontierAt = 0;
  private blocked = new BlockedAggregates();
  private readonly commitSubscriber: EntitySubscriberInterface = {
    afterTransactionCommit: (event: TransactionCommitEvent) => {
      if (event.queryRunner.data?.[OUTBOX_ADDED]) {
        delete event.queryRunner.data[OUTBOX_ADDED];
        this.wake();
      }
    },
  };

  constructor(
    private readonly dataSource: DataSource,
    kafka: Kafka,
    options: OutboxRelayOptions = {},
  ) {
    this.settings = {
      name: 'outbox',
      topicFor: (aggregateType) => `outbox.event.${aggregateType}`,
      batchSize: 500,
      pollIntervalMs: 1000,
      notifyChannel: 'outbox',
      standbyRetryMs: 2000,
      leaderStaleAfterMs: 30_000,
      retryBackoffMs: 250,
      maxRetryBackoffMs: 30_000,
      maxAttempts: 10,
      retentionSeconds: 300,
      retentionIntervalMs: 10_000,
      retentionBatchSize: 5000,
      vacuumAfterRetention: true,
      logger: silentLogger,
      ...options,
    };
    // Idempotent, one request in flight: the producer's own retries neither duplicate
    // nor reorder. Its retries are bounded so that the relay, not the client, decides
    // when to back off; a batch re-sent after that may duplicate (consumers dedupe).
    this.producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: true,
      createPartitioner: Partitioners.DefaultPartitioner,
      retry: { retries: 5, maxRetryTime: 10_000 },
    });
  }

  get isLeader(): boolean {
    return this.leader;
  }

  /** The seq claims scan from (for monitoring and benchmarks). */
  get scanFrom(): string {
    return this.frontier;
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.dataSource.subscribers.push(this.commitSubscriber);
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake();
    await this.loop;
    await this.vacuuming;
    await this.advancing;
    const i = this.dataSource.subscribers.indexOf(this.commitSubscriber);
    if (i >= 0) this.dataSource.subscribers.splice(i, 1);
    await this.dropSession();
    await this.producer.disconnect();
  }

  /** Look for rows now instead of at the next poll (called after an outbox commit). */
  wake(): void {
    this.wakePending = true;
    this.interruptSleep?.();
  }

  /**
   * One claim → publish → mark pass, without leader election: for tests and tools.
   * The running relay calls it only while it leads. Returns the rows published.
   */
  async relayBatch(): Promise<number> {
    const session = await this.ensureSession();
    const rows = await this.claim(session, []);
    if (rows.length === 0) return 0;
    await this.settings.hooks?.afterClaim?.(rows);
    try {
      await this.send(rows);
    } catch (err) {
      if (!isRecordError(err)) throw new BrokerUnavailableError(errorMessage(err));
      return this.publishOneByOne(session, rows);
    }
    await this.settings.hooks?.afterPublish?.(rows);
    await this.markPublished(session, rows);
    return rows.length;
  }

  /**
   * Publishes batch after batch, keeping the database work off the critical path: while
   * one batch is on its way to the broker, the previous one is marked and the next one
   * claimed (excluding the rows in flight). One request stays in flight, so per-aggregate
   * order holds as in `relayBatch`. On any failure the claimed-ahead batch is dropped
   * unsent; on a refused record the batch goes row by row as in `relayBatch`. Returns true
   * when it stopped with more to do (time for retention, or stopping).
   */
  private async drain(): Promise<boolean> {
    const session = await this.ensureSession();
    const { retentionIntervalMs, hooks } = this.settings;
    let rows = await this.claim(session, []);
    let sent: PendingRow[] = [];
    try {
      while (rows.length > 0) {
        await hooks?.afterClaim?.(rows);
        const inFlight = rows;
        const sending = this.send(inFlight).then(
          () => undefined,
          (err: unknown) => ({ err }),
        );
        const previous = sent;
        sent = [];
        const database = this.claim(session, inFlight, previous);
        database.catch(() => undefined); // awaited below, after the send; a rejection meanwhile is not unhandled
        const failed = await sending;
        const next = await database;
        if (failed) {
          if (!isRecordError(failed.err)) throw new BrokerUnavailableError(errorMessage(failed.err));
          await this.publishOneByOne(session, inFlight);
          return true;
        }
        await hooks?.afterPublish?.(inFlight);
        sent = inFlight;
        rows = next;
        if (!this.running || Date.now() - this.lastRetentionAt >= retentionIntervalMs) return rows.length > 0;
      }
      return false;
    } finally {
      // The last batch sent is marked here; a failure above leaves it to be sent again.
      if (sent.length > 0 && !session.isBroken) await this.markPublished(session, sent);
    }
  }

  /**
   * Up to `batchSize` publishable rows in seq order, leaving out those in flight; marks
   * `acknowledged` published in the same round trip.
   */
  private async claim(
    session: RelaySession,
    inFlight: readonly PendingRow[],
    acknowledged: readonly PendingRow[] = [],
  ): Promise<PendingRow[]> {
    if (this.markedSinceFrontier && !this.advancing && Date.now() - this.frontierAt >= FRONTIER_INTERVAL_MS) {
      this.advancing = this.advanceFrontier().finally(() => (this.advancing = undefined));
    }
    if (this.blocked.stale) this.blocked.replace(await session.query(outboxSql.blocked));
    const params = [this.settings.batchSize, inFlight.map((r) => r.id), this.frontier, this.blocked.toParam()];
    if (acknowledged.length === 0) return session.query(outboxSql.claim, params);
    const rows: PendingRow[] = await session.query(outboxSql.markAndClaim, [...params, acknowledged.map((r) => r.id)]);
    this.recordPublished(acknowledged);
    return rows;
  }

  /**
   * On a pool connection, beside the relay's own statements rather than between them (it
   * then counts the relay's session as a writer too, which only makes it wait a little).
   * One at a time, so each reads after the one before, as outboxSql.frontier requires.
   */
  private async advanceFrontier(): Promise<void> {
    this.markedSinceFrontier = false;
    this.frontierAt = Date.now();
    const term = this.term;
    let now: { from: string | null; lastSeq: string; writers: string[] };
    try {
      [now] = await this.dataSource.query(outboxSql.frontier, [this.settledSeq, this.frontier]);
    } catch (err) {
      this.settings.logger.warn('outbox relay: could not move the scan frontier', { error: errorMessage(err) });
      return;
    }
    if (term !== this.term) return; // a new term started from the head meanwhile
    const { from, lastSeq, writers } = now;
    if (from !== null) this.frontier = from;
    this.settledSeq = null;
    const check = this.frontierCheck;
    if (!check) this.frontierCheck = { lastSeq };
    else if (!check.writers) check.writers = writers;
    else if (!check.writers.some((w) => writers.includes(w))) {
      this.settledSeq = check.lastSeq;
      this.frontierCheck = { lastSeq };
    }
  }

  /** Deletes published rows past retention, in bounded statements. Returns rows deleted. */
  async applyRetention(): Promise<number> {
    const session = await this.ensureSession();
    let total = 0;
    for (let i = 0; i < 10; i++) {
      const [{ deleted, through }] = await session.query(outboxSql.deletePublished, [
        this.settings.retentionSeconds,
        this.settings.retentionBatchSize,
        this.retainedFrom,
      ]);
      if (through !== null) this.retainedFrom = through;
      total += deleted;
      if (deleted < this.settings.retentionBatchSize) break;
    }
    return total;
  }

  private async run(): Promise<void> {
    while (this.running) {
      let more = false;
      try {
        if (!(await this.lead())) {
          await this.sleep(this.settings.standbyRetryMs);
          continue;
        }
        this.wakePending = false;
        more = await this.drain();
        if (Date.now() - this.lastRetentionAt >= this.settings.retentionIntervalMs) {
          this.lastRetentionAt = Date.now();
          if ((await this.applyRetention()) > 0) this.vacuum();
        }
        if (this.failures > 0) this.settings.logger.log('outbox relay recovered', { failures: this.failures });
        this.failures = 0;
      } catch (err) {
        this.failures += 1;
        const broker = err instanceof BrokerUnavailableError;
        this.settings.metrics?.failures.inc({ reason: broker ? 'broker' : 'database' });
        this.settings.logger.warn(`outbox relay: ${broker ? 'broker unavailable' : 'database error'}; will retry`, {
          error: errorMessage(err),
          failures: this.failures,
        });
        if (!broker || this.session?.isBroken) await this.dropSession();
        await this.sleep(this.backoff(this.failures));
        continue;
      }
      // A drain cut short means more is waiting; a wake-up during it means more came.
      if (more || this.wakePending) continue;
      await this.sleep(this.settings.pollIntervalMs);
    }
  }

  /**
   * Autovacuum visits a table at most once per autovacuum_naptime (a cluster setting,
   * default 1 min); a busy outbox piles up a minute of dead rows meanwhile, and every claim
   * walks their index entries. After retention the table is small, so vacuuming it is
   * cheap. It runs on a pool connection, beside the relay loop, one at a time. While some
   * snapshot holds the xmin horizon, a vacuum removes nothing and yet reads the whole,
   * growing table: when most dead rows survive one, the next waits twice as long (up to
   * a minute), and the pause ends with the first vacuum that works again.
   */
  private vacuum(): void {
    if (!this.settings.vacuumAfterRetention || this.vacuuming) return;
    if (Date.now() - this.lastVacuumAt < this.vacuumPauseMs) return;
    this.lastVacuumAt = Date.now();
    const deadRows = async (): Promise<number> => (await this.dataSource.query(outboxSql.deadRows))[0]?.dead ?? 0;
    this.vacuuming = (async () => {
      const before = await deadRows();
      await this.dataSource.query('VACUUM outbox');
      const after = await deadRows();
      this.vacuumPauseMs =
        before > 0 && after > before / 2
          ? Math.min(MAX_VACUUM_PAUSE_MS, Math.max(this.settings.retentionIntervalMs, 2 * this.vacuumPauseMs))
          : 0;
    })()
      .catch((err: unknown) => this.settings.logger.warn('outbox vacuum failed', { error: errorMessage(err) }))
      .finally(() => (this.vacuuming = undefined));
  }

  /** True while this relay holds the leader lock; tries to take it otherwise. */
  private async lead(): Promise<boolean> {
    if (this.leader && this.session && !this.session.isBroken) return true;
    if (this.leader) await this.dropSession();
    const session = await this.ensureSession();
    const { name, leaderStaleAfterMs, notifyChannel } = this.settings;
    if (!(await session.tryLead(name))) {
      const pid = await session.terminateStaleLeader(name, leaderStaleAfterMs / 1000);
      if (pid === undefined || !(await session.tryLead(name))) return false;
      this.settings.logger.warn('outbox relay: ended the session of a stuck leader', { pid });
    }
    this.leader = true;
    // A new term starts from the head: cheap once, and safe whatever ran in between.
    this.term += 1;
    this.frontier = '0';
    this.frontierCheck = undefined;
    this.settledSeq = null;
    this.retainedFrom = null; // and rows a former leader marked late are found again
    this.blocked = new BlockedAggregates(); // read again: a former leader may have recorded failures
    this.settings.metrics?.leader.set(1);
    if (notifyChannel) await session.listen(notifyChannel, () => this.wake());
    this.heartbeat = setInterval(() => this.keepAlive(), Math.max(1000, leaderStaleAfterMs / 4));
    this.settings.logger.log('outbox relay is the leader', { name });
    return true;
  }

  /** While backing off from a broker outage, the leader still shows it is alive. */
  private keepAlive(): void {
    const session = this.session;
    if (!session || session.isBroken) return;
    if (Date.now() - session.lastQueryAt < this.settings.leaderStaleAfterMs / 4) return;
    session.query('SELECT 1').catch(() => undefined);
  }

  private async ensureSession(): Promise<RelaySession> {
    if (this.session && !this.session.isBroken) return this.session;
    await this.dropSession();
    this.session = await RelaySession.open(this.dataSource);
    return this.session;
  }

  private async dropSession(): Promise<void> {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    if (this.leader) {
      this.leader = false;
      this.settings.metrics?.leader.set(0);
      this.settings.logger.log('outbox relay stepped down', { name: this.settings.name });
    }
    const session = this.session;
    this.session = undefined;
    await session?.close();
  }

  private async send(rows: readonly PendingRow[]): Promise<void> {
    const byTopic = new Map<string, Message[]>();
    for (const row of rows) {
      const topic = this.settings.topicFor(row.aggregatetype);
      const messages = byTopic.get(topic) ?? [];
      messages.push({ key: row.aggregateid, value: row.payload, headers: messageHeaders(row) });
      byTopic.set(topic, messages);
    }
    await this.producer.connect();
    await this.producer.sendBatch({
      acks: -1,
      topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
    });
  }

  /**
   * The batch held a record the broker refuses. Send row by row to find it: each failing
   * row records an attempt (and is parked after maxAttempts); later rows of its aggregate
   * wait behind it; other aggregates are published.
   */
  private async publishOneByOne(session: RelaySession, rows: readonly PendingRow[]): Promise<number> {
    const held = new Set<string>();
    const published: PendingRow[] = [];
    try {
      for (const row of rows) {
        const aggregate = `${row.aggregatetype}\u0000${row.aggregateid}`;
        if (held.has(aggregate)) continue;
        try {
          await this.send([row]);
          published.push(row);
        } catch (err) {
          if (!isRecordError(err)) throw new BrokerUnavailableError(errorMessage(err));
          held.add(aggregate);
          await this.recordFailure(session, row, err);
        }
      }
    } finally {
      await this.markPublished(session, published);
    }
    return published.length;
  }

  private async recordFailure(session: RelaySession, row: PendingRow, err: unknown): Promise<void> {
    const attempt = row.attempts + 1;
    const backoffMs = this.backoff(attempt);
    const [{ parked }] = await session.query(outboxSql.recordFailure, [
      row.id,
      errorMessage(err),
      backoffMs / 1000,
      this.settings.maxAttempts,
    ]);
    this.blocked.add(row.id, row.aggregatetype, row.aggregateid, row.seq, parked ? null : backoffMs);
    this.settings.metrics?.failures.inc({ reason: 'record' });
    if (parked) this.settings.metrics?.parked.inc();
    this.settings.logger.warn(parked ? 'outbox row parked' : 'outbox row refused by the broker; will retry', {
      id: row.id,
      type: row.type,
      aggregateType: row.aggregatetype,
      attempt,
      error: errorMessage(err),
    });
  }

  private async markPublished(session: RelaySession, rows: readonly PendingRow[]): Promise<void> {
    if (rows.length === 0) return;
    await session.query(outboxSql.markPublished, [rows.map((r) => r.id)]);
    this.recordPublished(rows);
  }

  private recordPublished(rows: readonly PendingRow[]): void {
    this.markedSinceFrontier = true;
    const metrics = this.settings.metrics;
    if (metrics) {
      metrics.published.inc(rows.length);
      const now = Date.now();
      for (const r of rows) metrics.publishLag.observe((now - r.created_at_ms) / 1000);
    }
  }

  /** Exponential, capped, with full jitter over the upper half. */
  private backoff(failures: number): number {
    const { retryBackoffMs, maxRetryBackoffMs } = this.settings;
    const ceiling = Math.min(maxRetryBackoffMs, retryBackoffMs * 2 ** Math.min(failures - 1, 20));
    return ceiling / 2 + Math.random() * (ceiling / 2);
  }

  private sleep(ms: number): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const self = this; // eslint-disable-line @typescript-eslint/no-this-alias
      function done() {
        clearTimeout(timer);
        self.interruptSleep = undefined;
        resolve();
      }
      this.interruptSleep = done;
    });
  }
}

/**
 * The row's headers and its id, type, aggregateType and aggregateId. Set on the row's own
 * headers object, which the claim just parsed: a copy of each costs more than the rest of
 * the relay's work on the row.
 */
function messageHeaders(row: PendingRow): IHeaders {
  const headers: IHeaders = row.headers;
  headers.id = row.id;
  headers.type = row.type;
  headers.aggregateType = row.aggregatetype;
  headers.aggregateId = row.aggregateid;
  return headers;
}
