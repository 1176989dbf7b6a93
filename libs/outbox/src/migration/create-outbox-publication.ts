import { MigrationInterface, QueryRunner } from 'typeorm';
import { outboxTable, OutboxTableOptions, quoteIdentifier } from '../outbox-table';

/** PostgreSQL keeps 63 bytes of an identifier. */
const MAX_IDENTIFIER_BYTES = 63;

/**
 * The publication that log-based relays read the outbox through: `outbox_publication` for
 * public.outbox, else `<schema>_<table>_publication`. Both the library's logical relay and
 * Debezium (`publication.name`) use it.
 */
export function outboxPublicationName(options: OutboxTableOptions = {}): string {
  const { schema, table } = outboxTable(options);
  const name = schema === 'public' && table === 'outbox' ? 'outbox_publication' : `${schema}_${table}_publication`;
  if (Buffer.byteLength(name) > MAX_IDENTIFIER_BYTES)
    throw new RangeError(`outbox: the publication name ${name} is over ${MAX_IDENTIFIER_BYTES} bytes`);
  return name;
}

/**
 * Inserts only: the relay's own updates (marking rows published) and retention's deletes
 * are not events. A publication costs nothing until a replication slot reads it, so every
 * deployment can have one, whichever relay runs.
 */
export function createOutboxPublicationSql(options: OutboxTableOptions = {}): string {
  return `CREATE PUBLICATION ${quoteIdentifier(outboxPublicationName(options))} FOR TABLE ${
    outboxTable(options).qualified
  } WITH (publish = 'insert')`;
}

/** public.outbox's publication, for the log-based relays (RELAY_MODE=logical, Debezium). */
export class CreateOutboxPublication1764000000010 implements MigrationInterface {
  name = 'CreateOutboxPublication1764000000010';

  async up(q: QueryRunner): Promise<void> {
    await q.query(createOutboxPublicationSql());
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP PUBLICATION ${quoteIdentifier(outboxPublicationName())}`);
  }
}
