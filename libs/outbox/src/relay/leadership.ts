import { DataSource } from 'typeorm';
import { RelaySession } from './relay-session';
import { RelaySettings } from './relay-options';

/**
 * The relay's session and its leadership. One relay per name leads at a time (a
 * PostgreSQL advisory lock held by its session); the others stand by and take over when
 * the leader's connection ends, or end the session of a leader that has gone silent.
 */
export class Leadership {
  private current?: RelaySession;
  private leading = false;
  private heartbeat?: NodeJS.Timeout;

  constructor(
    private readonly dataSource: DataSource,
    private readonly settings: RelaySettings,
    /** A new term began: whatever the relay kept from an earlier one is stale. */
    private readonly onElected: () => void,
    /** A NOTIFY arrived on the channel. */
    private readonly onNotify: () => void,
  ) {}

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
    if (!(await session.tryLead(name))) {
      const pid = await session.terminateStaleLeader(name, leaderStaleAfterMs / 1000);
      if (pid === undefined || !(await session.tryLead(name))) return false;
      logger.warn('outbox relay: ended the session of a stuck leader', { pid });
    }
    this.leading = true;
    this.onElected();
    metrics?.leader(true);
    if (notifyChannel) await session.listen(notifyChannel, this.onNotify);
    this.heartbeat = setInterval(() => this.keepAlive(), Math.max(1000, leaderStaleAfterMs / 4));
    logger.log('outbox relay is the leader', { name });
    return true;
  }

  /** Closes the session, and with it the leadership. */
  async drop(): Promise<void> {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    if (this.leading) {
      this.leading = false;
      this.settings.metrics?.leader(false);
      this.settings.logger.log('outbox relay stepped down', { name: this.settings.name });
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
