import { OutboxMetricsSink } from '../metrics';
import { PendingRow } from '../outbox-sql';
import { OutboxRecord } from '../publisher';

/**
 * The broker record of an outbox row. Its headers gain id, type, aggregateType and
 * aggregateId on the object the row was parsed into: a copy per row costs more than the rest
 * of the relay's work on it.
 */
export function recordOf(row: PendingRow, topicFor: (aggregateType: string) => string): OutboxRecord {
  const headers = row.headers;
  headers.id = row.id;
  headers.type = row.type;
  headers.aggregateType = row.aggregatetype;
  headers.aggregateId = row.aggregateid;
  return { destination: topicFor(row.aggregatetype), key: row.aggregateid, value: row.payload, headers };
}

/** Counts rows published and how long each waited since its insert. */
export function reportPublished(metrics: OutboxMetricsSink | undefined, rows: readonly PendingRow[]): void {
  if (!metrics) return;
  metrics.published(rows.length);
  const now = Date.now();
  for (const row of rows) metrics.publishLag((now - row.created_at_ms) / 1000);
}
