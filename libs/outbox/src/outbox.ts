import { EntityManager } from 'typeorm';
import { OutboxEvent, OutboxHeaders } from './outbox-event';
import { outboxSql, OutboxSql } from './outbox-sql';
import { notifyChannelFor, OutboxTableOptions } from './outbox-table';
import { markOutboxAdded } from './relay/commit-wakeup';
import { inInsertSpan } from './tracing';

export class OutboxTransactionError extends Error {
  constructor() {
    super(
      'outbox.add() needs the EntityManager of an active transaction (e.g. inside dataSource.transaction(manager => …)); ' +
        'outside one, the event would be committed apart from the business change, which is the bug the outbox exists to prevent.',
    );
    this.name = 'OutboxTransactionError';
  }
}

export interface OutboxOptions extends OutboxTableOptions {
  /**
   * NOTIFY channel that wakes a relay in another process at commit. Empty string turns
   * it off (relays then find rows by polling). Default: the table's (`outbox` for public.outbox).
   */
  notifyChannel?: string;
  /** The relay in this process, if any: while it leads (every shard), it is woken in-process instead. */
  localRelay?: { readonly isLeader: boolean; readonly leadsAllShards?: boolean };
  /**
   * Delete the rows in the same transaction that inserts them, so the table stays empty.
   * Only for a log-based relay (OutboxLogicalRelay with `markPublished: false`, Debezium),
   * which reads the inserts from the WAL; the polling relay would never see them. Default false.
   */
  deleteAfterInsert?: boolean;
}

/**
 * Writes events into the outbox table with the caller's transaction.
 * The transaction is passed explicitly so that it is visible at the call site.
 */
export class Outbox {
  private readonly sql: OutboxSql;
  private readonly channel: string;

  constructor(private readonly options: OutboxOptions = {}) {
    this.sql = outboxSql(options);
    this.channel = notifyChannelFor(this.sql.table, options.notifyChannel);
  }

  /**
   * Inserts the events in the transaction `manager` belongs to. `headers` (e.g. a W3C
   * `traceparent`) travel as message headers beside the envelope's own; with an
   * OpenTelemetry SDK registered, the rows carry the `outbox insert` span's context instead.
   */
  async add(
    events: OutboxEvent | readonly OutboxEvent[],
    manager: EntityManager,
    options: { headers?: OutboxHeaders } = {},
  ): Promise<void> {
    const runner = manager.queryRunner;
    if (!runner?.isTransactionActive) throw new OutboxTransactionError();
    const list: readonly OutboxEvent[] = Array.isArray(events) ? events : [events as OutboxEvent];
    if (list.length === 0) return;
    await inInsertSpan(this.sql.table.qualified, list.length, async (trace) => {
      // The span's context, where there is one, wins over a `traceparent` the caller passed.
      const headers = { ...options.headers, ...trace };
      const params: unknown[] = [];
      const rows = list.map((e) => {
        params.push(
          e.id,
          e.aggregateType,
          e.aggregateId,
          e.type,
          JSON.stringify(e),
          JSON.stringify(headersFor(e, headers)),
        );
        const n = params.length;
        return `($${n - 5}, $${n - 4}, $${n - 3}, $${n - 2}, $${n - 1}::jsonb, $${n}::jsonb)`;
      });
      await manager.query(this.sql.insert + rows.join(', '), params);
      if (this.options.deleteAfterInsert) await manager.query(this.sql.deleteInserted, [list.map((e) => e.id)]);
    });
    if (this.options.deleteAfterInsert) return;
    markOutboxAdded(runner, this.sql.table.qualified);
    // NOTIFY is sent at commit and serialises committing transactions briefly, so it is
    // used only when no relay in this process leads every shard (that one is woken after commit).
    const local = this.options.localRelay;
    if (this.channel && !(local?.leadsAllShards ?? local?.isLeader))
      await manager.query('SELECT pg_notify($1, NULL)', [this.channel]);
  }
}

function headersFor(e: OutboxEvent, extra: OutboxHeaders = {}): OutboxHeaders {
  const headers: OutboxHeaders = { ...extra, occurredAt: e.occurredAt };
  if (e.correlationId) headers.correlationId = e.correlationId;
  if (e.causationId) headers.causationId = e.causationId;
  return headers;
}
