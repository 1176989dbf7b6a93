import { DataSource } from 'typeorm';
import { errorMessage } from '../logger';
import { RelaySettings } from './relay-options';
import { RelaySession } from './relay-session';

/** How many shards a relay process leads, and which it gives up. */
export interface ShardShare {
  /** Runs `lead` unless this process leads its share already; returns what `lead` did, or false. */
  tryLead(lead: () => Promise<boolean>): Promise<boolean>;
  /** True for a shard this process leads beyond its share: it steps down so that another takes it. */
  yields(index: number): boolean;
}

/** A relay without shards: it leads the one there is. */
export const SOLE: ShardShare = { tryLead: (lead) => lead(), yields: () => false };

/**
 * The relay processes sharing a name's shards. Each registers as a member (a shared advisory
 * lock on its own session, so a process that dies leaves at once) and leads at most
 * ceil(shards / members) shards: the lowest it leads, giving up the others after their batch in
 * flight. The count is read again every half `standbyRetryMs`, so a newcomer gets shards and a
 * dead member's are taken within about `standbyRetryMs`.
 */
export class Membership implements ShardShare {
  private session?: RelaySession;
  private members = 1;
  private trying = 0;
  private timer?: NodeJS.Timeout;
  private counting?: Promise<void>;

  constructor(
    private readonly dataSource: DataSource,
    private readonly settings: RelaySettings,
    /** The shards this process leads now, lowest first. */
    private readonly led: () => number[],
  ) {}

  /** The shards this process may lead. */
  get share(): number {
    return Math.ceil(this.settings.shards / Math.max(1, this.members));
  }

  async start(): Promise<void> {
    await this.count();
    this.timer = setInterval(() => void this.count(), Math.max(50, this.settings.standbyRetryMs / 2));
  }

  async tryLead(lead: () => Promise<boolean>): Promise<boolean> {
    if (this.led().length + this.trying >= this.share) return false;
    this.trying += 1;
    try {
      return await lead();
    } finally {
      this.trying -= 1;
    }
  }

  yields(index: number): boolean {
    return this.led().indexOf(index) >= this.share;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.counting;
    await this.session?.close();
    this.session = undefined;
  }

  /** Registers (again, after a broken connection) and counts the members; keeps the last count on failure. */
  private count(): Promise<void> {
    this.counting ??= (async () => {
      const { name, shards, logger } = this.settings;
      try {
        if (!this.session || this.session.isBroken) {
          await this.session?.close();
          this.session = undefined;
          const session = await RelaySession.open(this.dataSource);
          this.session = session;
          await session.join(name, shards);
        }
        this.members = await this.session.members(name, shards);
      } catch (err) {
        logger.warn('outbox relay: could not count the relays sharing its shards', { error: errorMessage(err) });
        await this.session?.close();
        this.session = undefined;
      }
    })().finally(() => (this.counting = undefined));
    return this.counting;
  }
}
