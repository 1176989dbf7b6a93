import { DataSource, QueryRunner } from 'typeorm';
import { SqlRunner } from '../outbox-sql';

interface PgClient {
  on(event: string, fn: (arg: never) => void): void;
  removeListener(event: string, fn: (arg: never) => void): void;
}

/**
 * First keys of the relay's advisory locks; the second is derived from a name. LEADER: a
 * shard's leader lock (exclusive). COUNT: held shared by every leader of a name under one
 * shard count (for one shard, the leader lock is that key). MEMBER: held shared by every
 * relay process of a name and count. ADMISSION: taken for the transaction that admits a leader.
 */
const LEADER = 7345;
const COUNT = 7346;
const MEMBER = 7347;
const ADMISSION = 7348;

const KEY = 'hashtext($2) & 2147483647';
/** Where the lock l is an advisory lock granted to another backend of this database. */
const HELD_BY_OTHERS = `
  l.locktype = 'advisory' AND l.granted AND l.objsubid = 2 AND l.pid <> pg_backend_pid()
  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`;

/** Advisory lock keys as (first key, name), the second key being hashtext(name). */
interface LockKey {
  classid: number;
  key: string;
}

/** The key every leader of `name` under `count` shards holds (for one shard, its leader lock). */
const countKey = (name: string, count: number): LockKey =>
  count === 1 ? { classid: LEADER, key: name } : { classid: COUNT, key: `${name}/of-${count}` };

/** The keys passed as $1 (classids) and $2 (names), as rows k (classid, key, i from 1), joined to their locks l. */
const HELD_KEYS = `
  unnest($1::int[], $2::text[]) WITH ORDINALITY k(classid, key, i)
  JOIN pg_locks l ON l.classid = k.classid::oid AND l.objid = (hashtext(k.key) & 2147483647)::bigint::oid`;

const keyParams = (keys: LockKey[]) => [keys.map((k) => k.classid), keys.map((k) => k.key)];

/** How admission went: led, or not; `otherCounts`: the shard counts whose leaders keep this one out. */
export type Admission = { led: true } | { led: false; otherCounts: number[] };

/**
 * A relay's own database connection. It carries a leader lock (a session-level
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

  /**
   * Takes the leader lock of `lock` (one shard of `name`, of `count`) unless leaders under
   * another shard count hold theirs: an aggregate maps to other shards under another count, so
   * two counts leading at once could publish its events out of order. One admission at a
   * time (a transaction-level lock); the session-level locks taken in it outlive its commit.
   */
  async admit(name: string, lock: string, count: number, maxCount: number, staleAfterMs: number): Promise<Admission> {
    await this.query('BEGIN');
    try {
      // A relay that stalls in here would keep every other admission of the name waiting:
      // PostgreSQL ends its session instead, as a standby ends a silent leader's.
      await this.query(`SET LOCAL idle_in_transaction_session_timeout = ${Math.ceil(staleAfterMs)}`);
      await this.query(`SELECT pg_advisory_xact_lock($1, ${KEY})`, [ADMISSION, name]);
      const counts = Array.from({ length: maxCount }, (_, i) => i + 1).filter((n) => n !== count);
      const held: { i: string }[] = await this.query(
        `SELECT DISTINCT k.i FROM ${HELD_KEYS} WHERE ${HELD_BY_OTHERS} ORDER BY k.i`,
        keyParams(counts.map((n) => countKey(name, n))),
      );
      const others = held.map((r) => counts[Number(r.i) - 1]);
      if (others.length > 0) return { led: false, otherCounts: others };
      const [row] = await this.query(`SELECT pg_try_advisory_lock($1, ${KEY}) AS locked`, [LEADER, lock]);
      if (!row.locked) return { led: false, otherCounts: [] };
      if (count > 1) {
        const { classid, key } = countKey(name, count);
        await this.query(`SELECT pg_advisory_lock_shared($1, ${KEY})`, [classid, key]);
      }
      return { led: true };
    } finally {
      await this.query('COMMIT');
    }
  }

  /** Registers this relay process as a member of `name` under `count` (until the session ends). */
  async join(name: string, count: number): Promise<void> {
    await this.query(`SELECT pg_advisory_lock_shared($1, ${KEY})`, [MEMBER, `${name}/of-${count}`]);
  }

  /** The relay processes registered under `name` and `count`, this one included. */
  async members(name: string, count: number): Promise<number> {
    const [row] = await this.query(
      `SELECT count(*)::int AS members FROM pg_locks l
        WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
          AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND l.classid = $1 AND l.objid = (${KEY})::bigint::oid`,
      [MEMBER, `${name}/of-${count}`],
    );
    return row.members;
  }

  /**
   * A leader whose session has said nothing for staleAfterSeconds is stuck (paused, hung):
   * end its session, which frees its locks. The leader looked for holds `lock`, or, when
   * `otherCounts` keep this shard out, leads under one of those counts. Its in-flight batch,
   * if any, is published again by the next leader: a duplicate, never a loss.
   */
  async terminateStaleLeader(
    name: string,
    lock: string,
    otherCounts: number[],
    staleAfterSeconds: number,
  ): Promise<number | undefined> {
    const keys =
      otherCounts.length === 0 ? [{ classid: LEADER, key: lock }] : otherCounts.map((n) => countKey(name, n));
    const [holder] = await this.query(
      `SELECT a.pid FROM ${HELD_KEYS} JOIN pg_stat_activity a ON a.pid = l.pid
        WHERE ${HELD_BY_OTHERS}
          AND clock_timestamp() - greatest(a.state_change, a.query_start) > make_interval(secs => $3)
        LIMIT 1`,
      [...keyParams(keys), staleAfterSeconds],
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
