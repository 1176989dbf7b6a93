/** Where the outbox table lives. Every part of the library that touches it takes these. */
export interface OutboxTableOptions {
  /** Default `public`. The schema must exist; the migration creates only the table. */
  schema?: string;
  /** Default `outbox`. */
  table?: string;
}

export interface OutboxTable {
  readonly schema: string;
  readonly table: string;
  /** `"schema"."table"`, quoted: every statement names the table by this. */
  readonly qualified: string;
  /**
   * The default relay name and NOTIFY channel: `outbox` for public.outbox, else
   * `schema.table`, so that the relays of two tables neither share a leader nor wake each other.
   */
  readonly channel: string;
}

/** PostgreSQL keeps 63 bytes of an identifier; pg_notify refuses a longer channel outright. */
const MAX_IDENTIFIER_BYTES = 63;

export const quoteIdentifier = (name: string) => `"${name.replace(/"/g, '""')}"`;
export const quoteLiteral = (text: string) => `'${text.replace(/'/g, "''")}'`;

export function outboxTable(options: OutboxTableOptions = {}): OutboxTable {
  const schema = options.schema ?? 'public';
  const table = options.table ?? 'outbox';
  for (const [what, name] of [
    ['schema', schema],
    ['table', table],
  ]) {
    if (name.length === 0 || Buffer.byteLength(name) > MAX_IDENTIFIER_BYTES)
      throw new RangeError(`outbox: the ${what} name must be 1 to ${MAX_IDENTIFIER_BYTES} bytes long`);
  }
  const channel = schema === 'public' && table === 'outbox' ? 'outbox' : `${schema}.${table}`;
  return { schema, table, qualified: `${quoteIdentifier(schema)}.${quoteIdentifier(table)}`, channel };
}

/** The channel to NOTIFY and LISTEN on: the given one ('' turns it off), else the table's. */
export function notifyChannelFor(table: OutboxTable, notifyChannel: string | undefined): string {
  const channel = notifyChannel ?? table.channel;
  if (Buffer.byteLength(channel) > MAX_IDENTIFIER_BYTES)
    throw new RangeError(
      `outbox: the NOTIFY channel is over ${MAX_IDENTIFIER_BYTES} bytes; set a shorter notifyChannel`,
    );
  return channel;
}
