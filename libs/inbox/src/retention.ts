import { DataSource } from 'typeorm';
import { InboxTable } from './inbox-table';

/** Rows deleted per statement, so that retention never holds long locks or a long transaction. */
const RETENTION_CHUNK = 10_000;

/**
 * Deletes up to 10,000 of `consumer`'s inbox rows older than `days`; returns how many. A
 * redelivery older than the horizon would be handled again, so keep it above the topics'
 * retention.
 */
export async function deleteExpiredRows(
  dataSource: DataSource,
  table: InboxTable,
  consumer: string,
  days: number,
): Promise<number> {
  const [{ deleted }] = await dataSource.query(
    `WITH d AS (
       DELETE FROM ${table.qualified} WHERE ctid IN (
         SELECT ctid FROM ${table.qualified}
          WHERE consumer = $1 AND received_at < now() - make_interval(days => $2) LIMIT ${RETENTION_CHUNK})
       RETURNING 1)
     SELECT count(*)::int AS deleted FROM d`,
    [consumer, days],
  );
  return deleted;
}
