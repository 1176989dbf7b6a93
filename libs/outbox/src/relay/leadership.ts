import { DataSource } from 'typeorm';
import { RelaySession } from './relay-session';
import { RelaySettings } from './relay-options';
import { leaderLockName, MAX_SHARDS, Shard } from './shards';

/**
 * A shard's session and its leadership. One relay per name and shard leads at a time (a
 * PostgreSQL advisory lock held by its session), and only leaders under one shard count
 * (see RelaySession.admit); the others stand by and take over when the leader's connection
 * ends, or end the session of a leader that has gone silent.
 */
export class Leadership {
  private current?: RelaySession;
  private leading = false;
  private heartbeat?: NodeJS.Timeout;
  private readonly lock: string;
  /** Why this shard last stood by, logged when it changes. */
  private fencedBy = '';

  constructor(
    private readonly dataSource: DataSource,
    private readonly settings: RelaySettings,
    private readonly shard: Shard,
    /** A new term began: whatever the relay kept from an earlier one is stale. */
    private readonly onElected: () => void,
    /** A NOTIFY arrived on the channel. */
    private readonly onNotify: () => void,
  ) {
    this.lock = leaderLockName(settings.name, shard);
  }

  get isLeader(): boolean {
    return this.leading;
  }

  /** True when the session has broken (leadership went with it). */
  get isBroken(): boolean {
    return this.current?.isBroken ?? false;
  }

  /** The relay's own connection, opened (again) when it has none or it broke. */
  async session(): Promise<RelaySession> {
    if (this.current && !this.current.isBroken) return this.current;
    await this.drop();
    this.current = await RelaySession.open(this.dataSource);
    return this.current;
  }

  /** True while this relay holds the leader lock; tries to take it otherwise. */
  async lead(): Promise<boolean> {
    if (this.leading && this.current && !this.current.isBroken) return true;
    if (this.leading) await this.drop();
    const session = await this.session();
    const { name, leaderStaleAfterMs, notifyChannel, logger, metrics } = this.settings;
    let admission = await this.admit(session);
    if (!admission.led) {
      // A stuck leader of this shard, or of another shard count that keeps this one out.
      const pid = await session.terminateStaleLeader(name, this.lock, admission.otherCounts, leaderStaleAfterMs / 1000);
      if (pid !== undefined) {
        logger.warn('outbox relay: ended the session of a stuck leader', { pid, shard: this.shard.index });
        admission = await this.admit(session);
      }
    }
    if (!admission.led) {
      // A standby shard gives its connection back: a process may stand by for many.
      if (this.shard.count > 1) await this.drop();
      return false;
    }
    this.leading = true;
    this.onElected();
    metrics?.leader(true, this.shard);
    if (notifyChannel) await session.listen(notifyChannel, this.onNotify);
    this.heartbeat = setInterval(() => this.keepAlive(), Math.max(1000, leaderStaleAfterMs / 4));
    logger.log('outbox relay is the leader', { name, ...this.shard });
    return true;
  }

  /** Admission, logging when relays under another shard count start or stop keeping this shard out. */
  private async admit(session: RelaySession) {
    const { name } = this.settings;
    const admission = await session.admit(
      name,
      this.lock,
      this.shard.count,
      MAX_SHARDS,
      this.settings.leaderStaleAfterMs,
    );
    const fencedBy = admission.led ? '' : admission.otherCounts.join(',');
    if (fencedBy !== this.fencedBy && this.shard.index === 0 && fencedBy !== '')
      this.settings.logger.log('outbox relay stands by: relays with another shard count lead', {
        name,
        shards: this.shard.count,
        leadingCounts: fencedBy,
      });
    this.fencedBy = fencedBy;
    return admission;
  }

  /** Closes the session, and with it the leadership. */
  async drop(): Promise<void> {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    if (this.leading) {
      this.leading = false;
      this.settings.metrics?.leader(false, this.shard);
      this.settings.logger.log('outbox relay stepped down', { name: this.settings.name, ...this.shard });
    }
    const session = this.current;
    this.current = undefined;
    await session?.close();
  }

  /** While backing off from a broker outage, the leader still shows it is alive. */
  private keepAlive(): void {
    const session = this.current;
    if (!session || session.isBroken) return;
    if (Date.now() - session.lastQueryAt < this.settings.leaderStaleAfterMs / 4) return;
    session.query('SELECT 1').catch(() => undefined);
  }
}
