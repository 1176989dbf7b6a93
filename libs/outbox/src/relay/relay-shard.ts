import { DataSource } from 'typeorm';
import { backoffMs } from '../backoff';
import { errorMessage } from '../logger';
import { outboxSql } from '../outbox-sql';
import { OutboxPublisher } from '../publisher';
import { BrokerUnavailableError, Drain } from './drain';
import { Leadership } from './leadership';
import { ShardShare } from './membership';
import { RelaySettings } from './relay-options';
import { Retention } from './retention';
import { Shard } from './shards';
import { Sleeper } from './sleeper';

/**
 * One shard's relay loop: while it leads the shard, claim → publish → mark its rows; else
 * stand by. Shard 0's leader also applies retention (to the whole table).
 */
export class RelayShard {
  readonly leadership: Leadership;
  readonly drainer: Drain;
  private readonly retention?: Retention;
  private loop?: Promise<void>;
  private wakePending = false;
  private readonly sleeper = new Sleeper();
  private failures = 0;

  constructor(
    dataSource: DataSource,
    publisher: OutboxPublisher,
    private readonly settings: RelaySettings,
    readonly shard: Shard,
    private readonly share: ShardShare,
    private readonly running: () => boolean,
    /** A NOTIFY arrived: rows of any shard may be waiting. */
    onNotify: () => void,
  ) {
    const sql = outboxSql(settings.table, shard);
    this.drainer = new Drain(dataSource, publisher, settings, sql);
    if (shard.index === 0) this.retention = new Retention(dataSource, settings, sql);
    this.leadership = new Leadership(
      dataSource,
      settings,
      shard,
      () => {
        this.drainer.reset();
        this.retention?.reset();
      },
      onNotify,
    );
  }

  get isLeader(): boolean {
    return this.leadership.isLeader;
  }

  start(): void {
    this.loop = this.run();
  }

  /** Once `running` turned false: waits for the loop and steps down. */
  async stop(): Promise<void> {
    this.wake();
    await this.loop;
    await this.retention?.idle();
    await this.drainer.idle();
    await this.leadership.drop();
  }

  /** Shard 0's retention on its session, without leader election (see OutboxRelay.applyRetention). */
  async applyRetention(): Promise<number> {
    return this.retention ? this.retention.deletePublished(await this.leadership.session()) : 0;
  }

  wake(): void {
    this.wakePending = true;
    this.sleeper.wake();
  }

  private async run(): Promise<void> {
    const { standbyRetryMs, pollIntervalMs, logger, metrics } = this.settings;
    const { index } = this.shard;
    while (this.running()) {
      let more = false;
      try {
        if (this.leadership.isLeader && this.share.yields(index)) {
          logger.log('outbox relay: leaves a shard to another relay', { name: this.settings.name, ...this.shard });
          await this.leadership.drop();
        }
        if (this.leadership.isBroken) await this.leadership.drop();
        if (!this.leadership.isLeader && !(await this.share.tryLead(() => this.leadership.lead()))) {
          // Jittered, so that standby loops do not retry in step (a process tries one shard at a time per free slot).
          await this.sleep(standbyRetryMs * (0.5 + Math.random() / 2));
          continue;
        }
        this.wakePending = false;
        const session = await this.leadership.session();
        const keepGoing = () => this.running() && !this.retention?.due && !this.share.yields(index);
        more = await this.drainer.drain(session, keepGoing);
        if (this.retention?.due) await this.retention.run(session);
        if (this.failures > 0) logger.log('outbox relay recovered', { failures: this.failures, shard: index });
        this.failures = 0;
      } catch (err) {
        this.failures += 1;
        const broker = err instanceof BrokerUnavailableError;
        metrics?.failure(broker ? 'broker' : 'database');
        logger.warn(`outbox relay: ${broker ? 'broker unavailable' : 'database error'}; will retry`, {
          error: errorMessage(err),
          failures: this.failures,
          shard: index,
        });
        if (!broker || this.leadership.isBroken) await this.leadership.drop();
        await this.sleep(
          backoffMs(this.failures, { initialMs: this.settings.retryBackoffMs, maxMs: this.settings.maxRetryBackoffMs }),
        );
        continue;
      }
      // A drain cut short means more is waiting; a wake-up during it means more came.
      if (more || this.wakePending) continue;
      await this.sleep(pollIntervalMs);
    }
  }

  private sleep(ms: number): Promise<void> {
    return this.running() ? this.sleeper.sleep(ms) : Promise.resolve();
  }
}
