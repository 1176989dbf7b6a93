import { DataSource } from 'typeorm';
import { OutboxPublisher, PublishResult } from '../publisher';
import { CommitWakeup } from './commit-wakeup';
import { Membership, SOLE } from './membership';
import { OutboxRelayOptions, RelaySettings, relaySettings } from './relay-options';
import { RelayShard } from './relay-shard';

/**
 * Publishes outbox rows through `publisher` and marks them published only after the
 * broker acknowledged them: at least once.
 *
 * One relay per name leads at a time (a PostgreSQL advisory lock); the others stand by
 * and take over within `standbyRetryMs` when the leader's connection ends, or after
 * `leaderStaleAfterMs` when the leader is stuck. A single leader with one publish under way
 * at a time, and a publisher that keeps its ordering contract, keeps every aggregate's
 * events in `seq` order.
 *
 * With `shards` > 1 the same holds per shard (an aggregate's rows are all in one shard):
 * each shard has its own leader, the relay processes of one name share the shards (see
 * Membership), and leaders under different shard counts never lead at once (see
 * RelaySession.admit).
 */
export class OutboxRelay {
  private readonly settings: RelaySettings;
  private readonly shards: RelayShard[];
  private readonly membership?: Membership;
  private readonly wakeup: CommitWakeup;
  private running = false;

  constructor(
    dataSource: DataSource,
    private readonly publisher: OutboxPublisher,
    options: OutboxRelayOptions = {},
  ) {
    this.settings = relaySettings(options);
    const count = this.settings.shards;
    if (count > 1) this.membership = new Membership(dataSource, this.settings, () => this.ledShards);
    const shared = count > 1 ? oneAtATime(publisher) : publisher;
    this.shards = Array.from(
      { length: count },
      (_, index) =>
        new RelayShard(
          dataSource,
          shared,
          this.settings,
          { index, count },
          this.membership ?? SOLE,
          () => this.running,
          () => this.wake(),
        ),
    );
    this.wakeup = new CommitWakeup(dataSource, this.settings.table.qualified, () => this.wake());
  }

  /** True while this relay leads (a shard, with shards). */
  get isLeader(): boolean {
    return this.shards.some((s) => s.isLeader);
  }

  /** True while it leads every shard: then no other process needs waking for a commit. */
  get leadsAllShards(): boolean {
    return this.shards.every((s) => s.isLeader);
  }

  /** The shards this relay leads, lowest first. */
  get ledShards(): number[] {
    return this.shards.filter((s) => s.isLeader).map((s) => s.shard.index);
  }

  /** The seq shard 0's claims scan from (for monitoring and benchmarks). */
  get scanFrom(): string {
    return this.shards[0].drainer.frontier.value;
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.wakeup.install();
    this.settings.metrics?.shards?.(this.settings.shards);
    await this.membership?.start();
    for (const shard of this.shards) shard.start();
  }

  /** Stops the loops, steps down and closes the publisher. */
  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.shards.map((s) => s.stop()));
    this.wakeup.remove();
    await this.membership?.stop();
    await this.publisher.close();
  }

  /**
   * Look for rows now instead of at the next poll (called after an outbox commit). Only the
   * shards this relay leads: woken standbys would all retry leadership at once, and with
   * shards the lowest would take the process's free slots every time (see Membership).
   */
  wake(): void {
    for (const shard of this.shards) if (shard.isLeader) shard.wake();
  }

  /**
   * One claim → publish → mark pass per shard, without leader election: for tests and tools.
   * The running relay does this only while it leads. Returns the rows published.
   */
  async relayBatch(): Promise<number> {
    let published = 0;
    for (const { drainer, leadership } of this.shards) published += await drainer.once(await leadership.session());
    return published;
  }

  /** Deletes published rows past retention, in bounded statements. Returns rows deleted. */
  async applyRetention(): Promise<number> {
    return this.shards[0].applyRetention();
  }
}

/** Shards in one process take turns at the publisher: its contract is one batch at a time. */
function oneAtATime(publisher: OutboxPublisher): OutboxPublisher {
  let last: Promise<unknown> = Promise.resolve();
  return {
    publish(records): Promise<readonly PublishResult[]> {
      const turn = last.then(() => publisher.publish(records));
      last = turn.catch(() => undefined);
      return turn;
    },
    close: () => publisher.close(),
  };
}
