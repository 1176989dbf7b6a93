import { Client, ClientConfig } from 'pg';
import { PgoutputPlugin } from 'pg-logical-replication';
import { PendingRow } from '../outbox-sql';
import { quoteIdentifier } from '../outbox-table';
import { bigIntToLsn, lsnToBigInt } from './lsn';

/** One committed transaction's inserts into the outbox table, as pgoutput decoded them. */
export interface WalTransaction {
  readonly rows: Record<string, unknown>[];
  /** The end of its commit record: confirming it tells the slot the transaction is done. */
  readonly endLsn: string;
}

export interface WalStreamHandler {
  /** Committed transactions, in commit order; called as they arrive. */
  transaction(tx: WalTransaction): void;
  /** The server asked for our position; `serverLsn` is its WAL end. */
  keepalive(serverLsn: string): void;
  /** The stream ended: an error, the server went away, or `close()`. */
  closed(error?: Error): void;
}

interface ReplicationConnection {
  on(event: 'copyData', fn: (msg: { chunk: Buffer }) => void): void;
  sendCopyFromChunk(chunk: Buffer): void;
  stream: { pause(): void; resume(): void };
}

const MICROS_FROM_UNIX_TO_PG_EPOCH = 946_684_800_000_000n;

/**
 * A logical replication stream of one slot (pgoutput), on its own connection. PostgreSQL
 * lets one connection at a time stream a slot: `open` fails while another relay holds it.
 */
export class WalStream {
  private readonly plugin: PgoutputPlugin;
  private current?: Record<string, unknown>[];
  private ended = false;
  private started = false;

  private constructor(
    private readonly client: Client,
    private readonly connection: ReplicationConnection,
    private readonly table: { schema: string; table: string },
    publication: string,
    private readonly handler: WalStreamHandler,
  ) {
    this.plugin = new PgoutputPlugin({ protoVersion: 1, publicationNames: [publication] });
  }

  static async open(
    config: ClientConfig,
    slot: string,
    publication: string,
    table: { schema: string; table: string },
    handler: WalStreamHandler,
  ): Promise<WalStream> {
    const client = new Client({ ...config, replication: 'database' } as ClientConfig);
    await client.connect();
    // pg has no typed API for the replication protocol; its connection carries the CopyData.
    const connection = (client as unknown as { connection: ReplicationConnection }).connection;
    const stream = new WalStream(client, connection, table, publication, handler);
    client.on('error', (err) => stream.end(err));
    client.on('end', () => stream.end(new Error('the replication connection ended')));
    connection.on('copyData', ({ chunk }) => stream.receive(chunk));
    const started = new Promise<void>((resolve, reject) => {
      (connection as unknown as NodeJS.EventEmitter).once('replicationStart', () => resolve());
      client
        .query(
          `START_REPLICATION SLOT ${quoteIdentifier(slot)} LOGICAL 0/0 ` +
            `(proto_version '1', publication_names '${publication.replace(/'/g, "''")}')`,
        )
        .then(
          () => stream.end(),
          (err: Error) => {
            if (stream.started) stream.end(err);
            else reject(err);
          },
        );
    });
    try {
      await started;
      stream.started = true;
    } catch (err) {
      stream.ended = true;
      await client.end().catch(() => undefined);
      throw err;
    }
    return stream;
  }

  /** Tells the slot that everything up to `lsn` is done: PostgreSQL may recycle that WAL. */
  confirm(lsn: string): void {
    if (this.ended) return;
    const position = lsnToBigInt(lsn);
    const message = Buffer.alloc(34);
    message.write('r', 0);
    message.writeBigUInt64BE(position, 1); // written
    message.writeBigUInt64BE(position, 9); // flushed: what confirmed_flush_lsn becomes
    message.writeBigUInt64BE(position, 17); // applied
    message.writeBigUInt64BE(BigInt(Date.now()) * 1000n - MICROS_FROM_UNIX_TO_PG_EPOCH, 25);
    message.writeUInt8(0, 33);
    this.connection.sendCopyFromChunk(message);
  }

  /** Stops reading from the socket (backpressure); the server waits. */
  pause(): void {
    this.connection.stream.pause();
  }

  resume(): void {
    this.connection.stream.resume();
  }

  async close(): Promise<void> {
    this.end();
    await this.client.end().catch(() => undefined);
  }

  private end(error?: Error): void {
    if (this.ended) return;
    this.ended = true;
    this.handler.closed(error);
  }

  private receive(chunk: Buffer): void {
    if (chunk[0] === 0x6b /* k: keepalive */) {
      if (chunk.readUInt8(17) === 1) this.handler.keepalive(bigIntToLsn(chunk.readBigUInt64BE(1)));
      return;
    }
    if (chunk[0] !== 0x77 /* w: XLogData */) return;
    const message = this.plugin.parse(chunk.subarray(25));
    switch (message.tag) {
      case 'relation':
        // The payload goes out as stored: parsing it only to serialise it again costs time.
        for (const column of message.columns) if (column.name === 'payload') column.parser = (raw: unknown) => raw;
        return;
      case 'begin':
        this.current = [];
        return;
      case 'insert':
        if (message.relation.schema === this.table.schema && message.relation.name === this.table.table)
          this.current?.push(message.new);
        return;
      case 'commit':
        if (this.current && this.current.length > 0 && message.commitEndLsn)
          this.handler.transaction({ rows: this.current, endLsn: message.commitEndLsn });
        this.current = undefined;
        return;
    }
  }
}

/** A row as pgoutput decoded it (payload kept as text, headers parsed), in the claim's shape. */
export function pendingRowOf(row: Record<string, unknown>): PendingRow {
  return {
    id: row.id as string,
    seq: String(row.seq),
    aggregatetype: row.aggregatetype as string,
    aggregateid: row.aggregateid as string,
    type: row.type as string,
    payload: row.payload as string,
    headers: (row.headers ?? {}) as Record<string, string>,
    attempts: (row.attempts as number | null) ?? 0,
    created_at_ms: (row.created_at as Date).getTime(),
  };
}
