import { ClientConfig } from 'pg';
import { DataSource } from 'typeorm';
import { backoffMs } from '../backoff';
import { errorMessage } from '../logger';
import { outboxPublicationName } from '../migration/create-outbox-publication';
import { outboxSql, OutboxSql, PendingRow, SqlRunner } from '../outbox-sql';
import { OutboxPublisher, publishSafely } from '../publisher';
import { BrokerUnavailableError } from '../relay/drain';
import { OutboxRelayOptions, RelaySettings, relaySettings } from '../relay/relay-options';
import { ALL } from '../relay/shards';
import { Sleeper } from '../relay/sleeper';
import { recordOf, reportPublished } from '../relay/records';
import { RelaySession } from '../relay/relay-session';
import { Retention } from '../relay/retention';
import { markStreamed } from './mark-streamed';
import { Parking } from './parking';
import { StartUpPass } from './start-up-pass';
import { defaultSlotName, ensureSlot } from './replication-slot';
import { TransactionQueue } from './transaction-queue';
import { pendingRowOf, WalStream, WalTransaction } from './wal-stream';

export interface OutboxLogicalRelayOptions extends OutboxRelayOptions {
  /** The replication connection: the outbox's database, as a role with REPLICATION. */
  connection: ClientConfig;
  /**
   * The permanent slot this relay reads. Slot names are unique in the whole cluster, so the
   * default names the database: `outbox_relay_<database>` (`<schema>_<table>_relay_<database>`
   * for another table), in the characters a slot name allows.
   */
  slotName?: string;
  /**
   * Mark rows published after the broker's acknowledgement, and delete them past retention,
   * as the polling relay does. Default true; false where `Outbox` deletes rows as it inserts them.
   */
  markPublished?: boolean;
}

/** PostgreSQL's SQLSTATE when another connection streams the slot: this relay stands by. */
const OBJECT_IN_USE = '55006';

class StreamEnded extends Error {}

/**
 * Publishes the outbox's inserts as PostgreSQL's logical replication decodes them from the
 * WAL (pgoutput, through the table's publication and a permanent slot): no polling, and
 * transactions arrive in commit order. The slot's position is confirmed only after the
 * broker acknowledged every row before it, so a restart resumes there: at least once, no gap.
 *
 * PostgreSQL lets one connection stream a slot: the relay that opens it leads; the others
 * retry every `standbyRetryMs` and take over when the leader's connection ends.
 */
export class OutboxLogicalRelay {
  private readonly settings: RelaySettings;
  private readonly sql: OutboxSql;
  private slot?: string;
  private readonly publication: string;
  private readonly markPublished: boolean;
  private readonly startUp: StartUpPass;
  private readonly retention: Retention;
  private running = false;
  private leading = false;
  private loop?: Promise<void>;
  private stream?: WalStream;
  private readonly queue = new TransactionQueue();
  private busy = false;
  private ended?: Error;
  private readonly sleeper = new Sleeper();
  private readonly parking: Parking;
  private publishedSinceRetention = false;
  private failures = 0;

  constructor(
    private readonly dataSource: DataSource,
    private readonly publisher: OutboxPublisher,
    private readonly options: OutboxLogicalRelayOptions,
  ) {
    this.settings = relaySettings(options);
    // One slot streams the whole table to one reader, in commit order: nothing to split.
    if (this.settings.shards !== 1)
      throw new RangeError('outbox logical relay: shards must be 1 (the log-based relay is not sharded)');
    this.sql = outboxSql(this.settings.table);
    this.publication = outboxPublicationName(this.settings.table);
    this.slot = options.slotName;
    this.markPublished = options.markPublished ?? true;
    this.startUp = new StartUpPass(dataSource, publisher, this.settings, this.sql);
    this.retention = new Retention(dataSource, this.settings, this.sql);
    this.parking = new Parking(this.settings, this.sql);
  }

  get isLeader(): boolean {
    return this.leading;
  }

  /** The slot's name, once the relay has started (the default depends on the database). */
  get slotName(): string | undefined {
    return this.slot;
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.settings.metrics?.shards?.(1);
    this.loop = this.run();
  }

  /** Stops streaming (the slot keeps its position), steps down and closes the publisher. */
  async stop(): Promise<void> {
    this.running = false;
    this.sleeper.wake();
    this.queue.wake();
    await this.stream?.close();
    await this.loop;
    await this.retention.idle();
    await this.publisher.close();
  }

  private async run(): Promise<void> {
    const { logger, metrics, standbyRetryMs } = this.settings;
    while (this.running) {
      try {
        const slot = (this.slot ??= await defaultSlotName(this.dataSource, this.settings.table));
        await ensureSlot(this.dataSource, slot, this.publication);
        this.stream = await WalStream.open(this.options.connection, slot, this.publication, this.settings.table, {
          transaction: (tx) => this.enqueue(tx),
          keepalive: (lsn) => this.keepalive(lsn),
          closed: (err) => this.streamEnded(err),
        });
      } catch (err) {
        if ((err as { code?: string }).code !== OBJECT_IN_USE) {
          this.failures += 1;
          metrics?.failure('database');
          logger.warn('outbox logical relay: cannot stream the slot; will retry', {
            slot: this.slot,
            error: errorMessage(err),
          });
        }
        await this.sleep(this.failures > 0 ? this.backoff() : standbyRetryMs);
        continue;
      }
      this.leading = true;
      metrics?.leader(true, ALL);
      logger.log('outbox logical relay is the leader', { slot: this.slot });
      let session: RelaySession | undefined;
      try {
        // Its own connection while it leads: marks do not wait behind the writers for the pool.
        session = await RelaySession.open(this.dataSource);
        await this.lead(this.stream, session);
      } catch (err) {
        if (!(err instanceof StreamEnded)) {
          this.failures += 1;
          const broker = err instanceof BrokerUnavailableError;
          metrics?.failure(broker ? 'broker' : 'database');
          logger.warn(`outbox logical relay: ${broker ? 'broker unavailable' : 'database error'}; will retry`, {
            error: errorMessage(err),
            failures: this.failures,
          });
        }
      } finally {
        await this.stream.close();
        this.stream = undefined;
        await session?.close();
        this.leading = false;
        metrics?.leader(false, ALL);
        this.queue.clear();
        this.ended = undefined;
        this.startUp.reset();
      }
      if (this.running && this.failures > 0) await this.sleep(this.backoff());
    }
  }

  /** The start-up pass, then the slot's transactions as they come, each confirmed once published. */
  private async lead(stream: WalStream, session: SqlRunner): Promise<void> {
    stream.pause();
    await this.parking.load(session);
    await this.startUp.run(session, () => this.running);
    stream.resume();
    this.failures = 0;
    while (this.running) {
      const batch = await this.next();
      this.busy = true;
      try {
        // A row inserted already parked is this relay's own (parking where rows are deleted on insert).
        await this.publishAll(
          batch.flatMap((tx) =>
            tx.rows
              .filter((r) => r.parked_at === null && !this.startUp.publishedAlready(r.id as string))
              .map(pendingRowOf),
          ),
          session,
        );
        stream.confirm(batch[batch.length - 1].endLsn);
      } finally {
        this.busy = false;
      }
      if (this.failures > 0) this.settings.logger.log('outbox logical relay recovered', { failures: this.failures });
      this.failures = 0;
      if (this.queue.rows <= this.settings.batchSize) stream.resume();
      if (this.markPublished && this.publishedSinceRetention && this.retention.due) {
        this.publishedSinceRetention = false;
        await this.retention.run(session);
      }
    }
  }

  /** Whole transactions, up to `batchSize` rows (at least one transaction). */
  private async next(): Promise<WalTransaction[]> {
    // Once the stream ended, nothing received can be confirmed: the next leader reads it again.
    const batch = await this.queue.take(this.settings.batchSize, () => !this.running || this.ended !== undefined);
    if (!batch) throw new StreamEnded();
    return batch;
  }

  /** Publishes until every row is published or parked; rows of a parked row's aggregate are parked too. */
  private async publishAll(rows: PendingRow[], session: SqlRunner): Promise<void> {
    const { metrics, hooks, logger } = this.settings;
    let pending = await this.parking.parkHeld(rows);
    while (pending.length > 0) {
      if (!this.running || this.ended) throw new StreamEnded();
      const results = await publishSafely(
        this.publisher,
        pending.map((row) => recordOf(row, this.settings.topicFor)),
      );
      const published: PendingRow[] = [];
      const retry: PendingRow[] = [];
      let unavailable: string | undefined;
      for (const [i, row] of pending.entries()) {
        const result = results[i];
        if (result.status === 'published') published.push(row);
        else if (result.status === 'refused') {
          if (!(await this.parking.refused(row, result.error))) retry.push(row);
        } else {
          unavailable ??= result.error;
          retry.push(row);
        }
      }
      if (published.length > 0) {
        await hooks?.afterPublish?.(published);
        if (this.markPublished)
          await markStreamed(
            session,
            this.sql.markPublished,
            published.map((r) => r.id),
            { logger },
          );
        this.recordPublished(published);
      }
      pending = await this.parking.parkHeld(retry);
      if (pending.length === 0) break;
      this.failures += 1;
      if (unavailable !== undefined) {
        metrics?.failure('broker');
        logger.warn('outbox logical relay: broker unavailable; will retry', {
          error: unavailable,
          failures: this.failures,
        });
      }
      await this.sleep(this.backoff());
    }
  }

  private recordPublished(rows: readonly PendingRow[]): void {
    this.publishedSinceRetention = true;
    this.parking.published(rows);
    reportPublished(this.settings.metrics, rows);
  }

  private enqueue(tx: WalTransaction): void {
    this.queue.push(tx);
    // Backpressure: the server holds the rest in the slot while the broker catches up.
    if (this.queue.rows > 10 * this.settings.batchSize) this.stream?.pause();
  }

  /** With nothing received and unpublished, the slot may move to the server's position (an idle outbox frees its WAL). */
  private keepalive(serverLsn: string): void {
    if (this.queue.empty && !this.busy) this.stream?.confirm(serverLsn);
  }

  private streamEnded(err?: Error): void {
    this.ended = err ?? new Error('the replication stream ended');
    if (this.running)
      this.settings.logger.warn('outbox logical relay: the replication stream ended', {
        error: errorMessage(this.ended),
      });
    this.queue.wake();
  }

  /** The wait after `failures` failures in a row. */
  private backoff(): number {
    const { retryBackoffMs, maxRetryBackoffMs } = this.settings;
    return backoffMs(this.failures, { initialMs: retryBackoffMs, maxMs: maxRetryBackoffMs });
  }

  private sleep(ms: number): Promise<void> {
    return this.running ? this.sleeper.sleep(ms) : Promise.resolve();
  }
}
