import { DataSource } from 'typeorm';
import { backoffMs } from '../backoff';
import { errorMessage } from '../logger';
import { outboxSql } from '../outbox-sql';
import { OutboxPublisher } from '../publisher';
import { CommitWakeup } from './commit-wakeup';
import { BrokerUnavailableError, Drain } from './drain';
import { Leadership } from './leadership';
import { OutboxRelayOptions, RelaySettings, relaySettings } from './relay-options';
import { Sleeper } from './sleeper';
import { Retention } from './retention';

/**
 * Publishes outbox rows through `publisher` and marks them published only after the
 * broker acknowledged them: at least once.
 *
 * One relay per name leads at a time (a PostgreSQL advisory lock); the others stand by
 * and take over within `standbyRetryMs` when the leader's connection ends, or after
 * `leaderStaleAfterMs` when the leader is stuck. A single leader with one publish under way
 * at a time, and a publisher that keeps its ordering contract, keeps every aggregate's
 * events in `seq` order.
 */
export class OutboxRelay {
  private readonly settings: RelaySettings;
  private readonly leadership: Leadership;
  private readonly drainer: Drain;
  private readonly retention: Retention;
  private readonly wakeup: CommitWakeup;
  private running = false;
  private loop?: Promise<void>;
  private wakePending = false;
  private readonly sleeper = new Sleeper();
  private failures = 0;

  constructor(
    dataSource: DataSource,
    private readonly publisher: OutboxPublisher,
    options: OutboxRelayOptions = {},
  ) {
    this.settings = relaySettings(options);
    const sql = outboxSql(this.settings.table);
    this.drainer = new Drain(dataSource, publisher, this.settings, sql);
    this.retention = new Retention(dataSource, this.settings, sql);
    this.leadership = new Leadership(
      dataSource,
      this.settings,
      () => {
        this.drainer.reset();
        this.retention.reset();
      },
      () => this.wake(),
    );
    this.wakeup = new CommitWakeup(dataSource, this.settings.table.qualified, () => this.wake());
  }

  get isLeader(): boolean {
    return this.leadership.isLeader;
  }

  /** The seq claims scan from (for monitoring and benchmarks). */
  get scanFrom(): string {
    return this.drainer.frontier.value;
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.wakeup.install();
    this.loop = this.run();
  }

  /** Stops the loop, steps down and closes the publisher. */
  async stop(): Promise<void> {
    this.running = false;
    this.wake();
    await this.loop;
    await this.retention.idle();
    await this.drainer.idle();
    this.wakeup.remove();
    await this.leadership.drop();
    await this.publisher.close();
  }

  /** Look for rows now instead of at the next poll (called after an outbox commit). */
  wake(): void {
    this.wakePending = true;
    this.sleeper.wake();
  }

  /**
   * One claim → publish → mark pass, without leader election: for tests and tools.
   * The running relay does this only while it leads. Returns the rows published.
   */
  async relayBatch(): Promise<number> {
    return this.drainer.once(await this.leadership.session());
  }

  /** Deletes published rows past retention, in bounded statements. Returns rows deleted. */
  async applyRetention(): Promise<number> {
    return this.retention.deletePublished(await this.leadership.session());
  }

  private async run(): Promise<void> {
    const { standbyRetryMs, pollIntervalMs, logger, metrics } = this.settings;
    while (this.running) {
      let more = false;
      try {
        if (!(await this.leadership.lead())) {
          await this.sleep(standbyRetryMs);
          continue;
        }
        this.wakePending = false;
        const session = await this.leadership.session();
        more = await this.drainer.drain(session, () => this.running && !this.retention.due);
        if (this.retention.due) await this.retention.run(session);
        if (this.failures > 0) logger.log('outbox relay recovered', { failures: this.failures });
        this.failures = 0;
      } catch (err) {
        this.failures += 1;
        const broker = err instanceof BrokerUnavailableError;
        metrics?.failure(broker ? 'broker' : 'database');
        logger.warn(`outbox relay: ${broker ? 'broker unavailable' : 'database error'}; will retry`, {
          error: errorMessage(err),
          failures: this.failures,
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
    return this.running ? this.sleeper.sleep(ms) : Promise.resolve();
  }
}
