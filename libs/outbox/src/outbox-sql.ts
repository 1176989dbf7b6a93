import { outboxTable, OutboxTableOptions, quoteLiteral } from './outbox-table';
import { ALL, Shard, shardSql } from './relay/shards';

/** Runs one SQL statement; a TypeORM QueryRunner, EntityManager or DataSource all fit. */
export interface SqlRunner {
  query(sql: string, params?: unknown[]): Promise<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export interface PendingRow {
  id: string;
  seq: string;
  aggregatetype: string;
  aggregateid: string;
  type: string;
  /** The envelope as stored (jsonb text), sent as the message value unchanged. */
  payload: string;
  headers: Record<string, string>;
  attempts: number;
  /** created_at in epoch milliseconds (a number is cheaper to read than a timestamp). */
  created_at_ms: number;
}

export interface ParkedRow {
  id: string;
  seq: string;
  aggregatetype: string;
  aggregateid: string;
  type: string;
  attempts: number;
  last_error: string | null;
  created_at: Date;
  parked_at: Date;
}

export interface AggregateRow {
  id: string;
  type: string;
  attempts: number;
  created_at: Date;
  published_at: Date | null;
  parked_at: Date | null;
}

export interface OutboxStats {
  /** Unpublished rows that are not parked. */
  pending: number;
  parked: number;
  /** Of the pending rows; a parked row waits for an operator, not for the relay. */
  oldestPendingAgeSeconds: number;
}

/**
 * Up to $1 publishable rows in seq order, from $3 up, leaving out the ids `excluded` and
 * the rows of aggregates held back by a failing row ($4, see BlockedAggregates): a plain
 * filter on the scan of outbox_pending_idx, so there is no other plan to choose. `shard`: the
 * filter of one shard (shardSql), empty for the whole outbox.
 */
const claimAfter = (outbox: string, excluded: string, shard: string) => `
    SELECT o.id, o.seq, o.aggregatetype, o.aggregateid, o.type, o.payload::text AS payload, o.headers,
           o.attempts, (extract(epoch FROM o.created_at) * 1000)::float8 AS created_at_ms
      FROM ${outbox} o
     WHERE o.published_at IS NULL AND o.seq >= $3::bigint AND o.id <> ALL(${excluded})
       AND coalesce(o.seq < ($4::jsonb -> o.aggregatetype ->> o.aggregateid)::bigint, true)${shard}
     ORDER BY o.seq
     LIMIT $1`;

export type OutboxSql = ReturnType<typeof outboxSql>;

/**
 * The library's SQL, in one place, for the table `options` names. Writes are wrapped as
 * `WITH … SELECT` so that every statement returns plain rows whichever runner executes it.
 *
 * Rows are read in `seq` order; a row that failed and is
 * waiting for its retry (or is parked) holds back the later rows of its own aggregate
 * only, so order is kept per aggregate and other aggregates flow on.
 *
 * `shard`: the claims and the scan frontier of one shard's relay (see shardOf); the whole
 * outbox by default.
 */
export function outboxSql(options: OutboxTableOptions = {}, shard: Shard = ALL) {
  const table = outboxTable(options);
  const outbox = table.qualified;
  const ofShard = shardSql(shard);
  // For regclass and pg_get_serial_sequence, which parse the quoted name themselves.
  const name = quoteLiteral(outbox);
  return {
    table,
    // Outbox.add appends one `($1, …, $6)` per event.
    insert: `INSERT INTO ${outbox} (id, aggregatetype, aggregateid, type, payload, headers) VALUES `,
    deleteInserted: `DELETE FROM ${outbox} WHERE id = ANY($1::uuid[])`,
    // $2: ids of rows in flight to the broker, left out (empty when none).
    // $3: the scan's frontier (see `frontier`): no row below it is pending or ever will be.
    claim: claimAfter(outbox, '$2::uuid[]', ofShard),
    // The same, and in the same round trip marks $5 (rows the broker just acknowledged)
    // published. The claim's snapshot cannot see that mark, so it leaves those rows out too.
    markAndClaim: `
    WITH marked AS (
      UPDATE ${outbox} SET published_at = clock_timestamp(), last_error = NULL
       WHERE id = ANY($5::uuid[]))
    ${claimAfter(outbox, '$2::uuid[] || $5::uuid[]', ofShard)}`,
    // The rows that hold back their aggregate now: once per leadership term (and while some
    // are parked, now and then); outbox_failing_idx holds only rows that failed. A published
    // row keeps `attempts` as it was, so the statistics see how rare failed rows are.
    blocked: `
    SELECT id, aggregatetype, aggregateid, seq::text AS seq,
           CASE WHEN parked_at IS NULL
                THEN extract(epoch FROM next_attempt_at - clock_timestamp()) * 1000 END::float8 AS "waitMs"
      FROM ${outbox}
     WHERE published_at IS NULL AND attempts > 0
       AND (parked_at IS NOT NULL OR next_attempt_at > clock_timestamp())`,
    markPublished: `
    UPDATE ${outbox} SET published_at = clock_timestamp(), last_error = NULL
     WHERE id = ANY($1::uuid[])`,
    // Published rows leave dead entries at the head of outbox_pending_idx until a vacuum
    // removes them, and while any snapshot holds the xmin horizon none can be removed: a
    // claim scanning from the head would walk them all, again and again. Claims scan from a
    // frontier instead, which may pass only published rows and seqs whose writers have ended.
    // A transaction that takes a seq holds RowExclusiveLock on the table from before it takes
    // it until it ends. So, with L a seq value read by one call and W the writers a later
    // call saw: once none of W is left, every seq up to L is committed or gone, and a call
    // after that (a snapshot taken later) moves the frontier to the lowest row still
    // pending, or past L. $1: such an L, or null; $2: the current frontier. Returns the new
    // frontier (null without $1), the seq value now and the writers now. A shard's frontier
    // passes the other shards' rows, which its claims never read.
    frontier: `
    SELECT CASE WHEN $1::bigint IS NOT NULL
                THEN least($1::bigint + 1,
                           (SELECT min(seq) FROM ${outbox} WHERE published_at IS NULL AND seq >= $2::bigint${shardSql(shard, outbox)}))::text
           END AS "from",
           coalesce(pg_sequence_last_value(pg_get_serial_sequence(${name}, 'seq')::regclass), 0)::text AS "lastSeq",
           ARRAY(SELECT virtualtransaction FROM pg_locks
                  WHERE locktype = 'relation' AND relation = ${name}::regclass AND mode = 'RowExclusiveLock'
                    AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                    AND pid IS DISTINCT FROM pg_backend_pid()) AS writers`,
    recordFailure: `
    WITH u AS (
      UPDATE ${outbox}
         SET attempts = attempts + 1,
             last_error = left($2, 2000),
             next_attempt_at = clock_timestamp() + make_interval(secs => $3),
             parked_at = CASE WHEN attempts + 1 >= $4 THEN clock_timestamp() END
       WHERE id = $1
       RETURNING parked_at IS NOT NULL AS parked)
    SELECT parked FROM u`,
    // $3: where the last pass stopped (null: from the oldest). The index on published_at
    // keeps the entries of deleted rows until vacuum removes them, so a scan from the oldest
    // would walk them all again, for as long as a held xmin horizon keeps vacuum away. Only
    // the leader marks rows, on the connection that runs this, so no row published before
    // $3 can appear after it was read (with shards, $3 is null). Returns where this pass stopped.
    // The rows go by ctid (a TID scan): as `id IN (…)` the planner may join the
    // batch against the whole table, which a held horizon can leave gigabytes large.
    deletePublished: `
    WITH d AS (
      DELETE FROM ${outbox} WHERE ctid = ANY(ARRAY(
        SELECT ctid FROM ${outbox}
         WHERE published_at IS NOT NULL AND published_at < clock_timestamp() - make_interval(secs => $1)
           AND published_at >= coalesce($3::timestamptz, '-infinity')
         ORDER BY published_at LIMIT $2))
      RETURNING published_at)
    SELECT count(*)::int AS deleted, max(published_at)::text AS through FROM d`,
    // The log-based relay parks a row it read from the WAL: in a table that keeps its rows
    // the row is there; where rows are deleted as they are inserted, it comes back, parked.
    park: `
    INSERT INTO ${outbox} AS o (id, seq, aggregatetype, aggregateid, type, payload, headers, created_at,
                                attempts, last_error, parked_at)
    OVERRIDING SYSTEM VALUE
    VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb, $8, $9, left($10, 2000), clock_timestamp())
    ON CONFLICT (id) DO UPDATE
       SET attempts = excluded.attempts, last_error = excluded.last_error, parked_at = excluded.parked_at
     WHERE o.published_at IS NULL`,
    parkedAggregates: `
    SELECT DISTINCT aggregatetype, aggregateid FROM ${outbox} WHERE parked_at IS NOT NULL AND published_at IS NULL`,
    deadRows: `SELECT n_dead_tup::float8 AS dead FROM pg_stat_user_tables WHERE relid = ${name}::regclass`,
    listParked: `
    SELECT id, seq, aggregatetype, aggregateid, type, attempts, last_error, created_at, parked_at
      FROM ${outbox} WHERE parked_at IS NOT NULL AND published_at IS NULL ORDER BY seq LIMIT $1`,
    // One aggregate's rows, for an operator looking at one order's flow.
    rowsOf: `
    SELECT id, type, attempts, created_at, published_at, parked_at
      FROM ${outbox} WHERE aggregateid = $1 ORDER BY seq LIMIT $2`,
    requeue: `
    WITH u AS (
      UPDATE ${outbox} SET parked_at = NULL, next_attempt_at = NULL, attempts = 0
       WHERE parked_at IS NOT NULL AND published_at IS NULL AND ($1::uuid[] IS NULL OR id = ANY($1::uuid[]))
       RETURNING id)
    SELECT id FROM u`,
    stats: `
    SELECT count(*) FILTER (WHERE parked_at IS NULL)::int AS pending,
           count(*) FILTER (WHERE parked_at IS NOT NULL)::int AS parked,
           coalesce(extract(epoch FROM clock_timestamp() - min(created_at) FILTER (WHERE parked_at IS NULL)), 0)::float8
             AS "oldestPendingAgeSeconds"
      FROM ${outbox} WHERE published_at IS NULL`,
    vacuum: `VACUUM ${outbox}`,
  };
}
