import { DataSource, QueryRunner } from 'typeorm';
import { SqlRunner } from '../outbox-sql';

interface PgClient {
  on(event: string, fn: (arg: never) => void): void;
  removeListener(event: string, fn: (arg: never) => void): void;
}

/** Fixed first key of the relay's advisory lock; the second is derived from the relay name. */
const LOCK_CLASS = 7345;

/**
 * The relay's own database connection. It carries the leader lock (a session-level
 * advisory lock, released by PostgreSQL the moment the connection dies) and LISTENs for
 * wake-ups. If the connection breaks, the session is dropped and leadership with it.
 */
export class RelaySession implements SqlRunner {
  private broken = false;
  private readonly onError = () => {
    this.broken = true;
  };
  private onNotification?: (msg: { channel: string }) => void;
  lastQueryAt = Date.now();

  private constructor(
    private readonly runner: QueryRunner,
    private readonly client: PgClient,
  ) {
    client.on('error', this.onError);
  }

  static async open(dataSource: DataSource): Promise<RelaySession> {
    const runner = dataSource.createQueryRunner();
    // For postgres, connect() resolves to the pg client the runner holds.
    const client: PgClient = await runner.connect();
    return new RelaySession(runner, client);
  }

  get isBroken(): boolean {
    return this.broken || this.runner.isReleased;
  }

  async query(sql: string, params?: unknown[]) {
    try {
      return await this.runner.query(sql, params);
    } finally {
      this.lastQueryAt = Date.now();
    }
  }

  async tryLead(name: string): Promise<boolean> {
    const [row] = await this.query('SELECT pg_try_advisory_lock($1, hashtext($2) & 2147483647) AS locked', [
      LOCK_CLASS,
      name,
    ]);
    return row.locked === true;
  }

  /**
   * A leader whose session has said nothing for staleAfterSeconds is stuck (paused,
   * hung): end its session, which frees the lock. Its in-flight batch, if any, is
   * published again by the next leader: a duplicate, never a loss.
   */
  async terminateStaleLeader(name: string, staleAfterSeconds: number): Promise<number | undefined> {
    const [holder] = await this.query(
      `SELECT a.pid
         FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
        WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1
          AND l.objid = (hashtext($2) & 2147483647)::bigint::oid AND l.objsubid = 2
          AND a.pid <> pg_backend_pid()
          AND clock_timestamp() - greatest(a.state_change, a.query_start) > make_interval(secs => $3)`,
      [LOCK_CLASS, name, staleAfterSeconds],
    );
    if (!holder) return undefined;
    await this.query('SELECT pg_terminate_backend($1)', [holder.pid]);
    return holder.pid;
  }

  async listen(channel: string, onNotify: () => void): Promise<void> {
    this.onNotification = (msg) => {
      if (msg.channel === channel) onNotify();
    };
    this.client.on('notification', this.onNotification);
    await this.query(`LISTEN "${channel.replace(/"/g, '""')}"`);
  }

  /** Gives the connection back to the pool without the lock or the LISTEN on it. */
  async close(): Promise<void> {
    if (this.runner.isReleased) return;
    if (!this.broken) await this.query('SELECT pg_advisory_unlock_all(); UNLISTEN *').catch(() => (this.broken = true));
    if (this.onNotification) this.client.removeListener('notification', this.onNotification);
    this.client.removeListener('error', this.onError);
    // A broken connection has ended; the pool drops it instead of reusing it.
    await this.runner.release().catch(() => undefined);
  }
}
