import { EntityManager } from 'typeorm';
import { OutboxEvent } from './outbox-event';

export class OutboxTransactionError extends Error {
  constructor() {
    super(
      'outbox.add() needs the EntityManager of an active transaction (e.g. inside dataSource.transaction(manager => …)); ' +
        'outside one, the event would be committed apart from the business change, which is the bug the outbox exists to prevent.',
    );
    this.name = 'OutboxTransactionError';
  }
}

/**
 * Writes events into the outbox table with the caller's transaction.
 * The transaction is passed explicitly so that it is visible at the call site.
 */
export class Outbox {
  async add(events: OutboxEvent | readonly OutboxEvent[], manager: EntityManager): Promise<void> {
    if (!manager.queryRunner?.isTransactionActive) throw new OutboxTransactionError();
    const list = Array.isArray(events) ? events : [events as OutboxEvent];
    if (list.length === 0) return;
    const params: unknown[] = [];
    const rows = list.map((e) => {
      params.push(e.id, e.aggregateType, e.aggregateId, e.type, JSON.stringify(e));
      const n = params.length;
      return `($${n - 4}, $${n - 3}, $${n - 2}, $${n - 1}, $${n}::jsonb)`;
    });
    await manager.query(
      `INSERT INTO outbox (id, aggregatetype, aggregateid, type, payload) VALUES ${rows.join(', ')}`,
      params,
    );
  }
}
