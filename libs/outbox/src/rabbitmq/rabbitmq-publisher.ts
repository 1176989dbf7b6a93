import { ChannelModel, ConfirmChannel, connect, Message, Options, SocketOptions } from 'amqplib';
import { errorMessage } from '../logger';
import { OutboxPublisher, OutboxRecord, PublishResult } from '../publisher';
import { Confirm, ReturnedFields, toResults, unroutable } from './results';

/** One connection and its one confirm channel, with the exchanges asserted on it. */
interface Session {
  readonly connection: ChannelModel;
  readonly channel: ConfirmChannel;
  readonly exchanges: Set<string>;
  readonly isOpen: () => boolean;
  /** Set while a batch is out: takes the broker's returns of unroutable messages. */
  onReturn?: (message: Message) => void;
}

/**
 * Without heartbeats a frozen broker (a paused VM, a half-open connection) would keep a batch
 * waiting for its confirms for good; missing two of them closes the connection.
 */
const DEFAULT_HEARTBEAT_SECONDS = 5;

/**
 * The relay's publisher for RabbitMQ through amqplib. Each destination is a durable topic
 * exchange (asserted once per connection), the routing key is the event type, the message id
 * the event id; messages are persistent and mandatory. All go through ONE confirm channel, so
 * the broker takes and confirms them in the order sent. A returned (unroutable) message is
 * `refused`; a nack, a closed channel or connection, or a failed connect is `unavailable`,
 * and the next `publish` connects again.
 */
export class RabbitMqPublisher implements OutboxPublisher {
  private session?: Promise<Session>;

  /**
   * `url`: an AMQP URL or amqplib's connect options, heartbeats every 5 s unless they say;
   * `socketOptions`: amqplib's, with a 10 s connect timeout unless they say;
   * `declareTopology: false`: the exchanges were declared beforehand (a deploy step with an
   * admin user), so the relay's user needs only `write` on them, no `configure`; publishing to
   * a missing one fails (NOT_FOUND) and is retried. Default true: asserted once per connection.
   */
  constructor(
    private readonly url: string | Options.Connect,
    private readonly socketOptions: SocketOptions = {},
    private readonly options: { declareTopology?: boolean } = {},
  ) {}

  async publish(records: readonly OutboxRecord[]): Promise<readonly PublishResult[]> {
    if (records.length === 0) return [];
    let session: Session;
    try {
      session = await this.open();
      for (const exchange of new Set(records.map((r) => r.destination))) {
        if (this.options.declareTopology === false || session.exchanges.has(exchange)) continue;
        await session.channel.assertExchange(exchange, 'topic', { durable: true });
        session.exchanges.add(exchange);
      }
    } catch (err) {
      return records.map(() => ({ status: 'unavailable', error: errorMessage(err) }));
    }
    return toResults(records, await this.send(session, records));
  }

  async close(): Promise<void> {
    const opening = this.session;
    this.session = undefined;
    const session = await opening?.catch(() => undefined);
    if (!session) return;
    await session.channel.close().catch(() => undefined);
    await session.connection.close().catch(() => undefined);
  }

  /** Publishes the whole batch at once and resolves with one confirm per record, in order. */
  private send(session: Session, records: readonly OutboxRecord[]): Promise<Confirm[]> {
    const returned = new Map<string, string>(); // message id → why it came back
    session.onReturn = (message) =>
      returned.set(String(message.properties.messageId), unroutable(message.fields as unknown as ReturnedFields));
    return new Promise((resolve) => {
      const confirms: Confirm[] = [];
      let open = records.length;
      const settle = (i: number, confirm: Confirm) => {
        if (confirms[i]) return; // a callback amqplib keeps after a failed publish may still fire
        confirms[i] = confirm;
        if (--open > 0) return;
        session.onReturn = undefined;
        resolve(confirms);
      };
      records.forEach((record, i) => {
        const messageId = record.headers.id;
        const options: Options.Publish = {
          persistent: true,
          mandatory: true,
          messageId,
          contentType: 'application/json',
          headers: record.headers,
        };
        const onConfirm = (err: unknown) =>
          settle(i, err ? { error: errorMessage(err) } : { returned: returned.get(String(messageId)) });
        try {
          // Ignoring `false` (a full socket buffer) is safe: amqplib keeps the frames in order.
          session.channel.publish(
            record.destination,
            record.headers.type ?? '',
            Buffer.from(record.value),
            options,
            onConfirm,
          );
        } catch (err) {
          settle(i, { error: errorMessage(err) }); // the channel closed under this batch
        }
      });
    });
  }

  /** The open session, or a new one when there is none or it was lost. */
  private async open(): Promise<Session> {
    const current = await this.session?.catch(() => undefined);
    if (current?.isOpen()) return current;
    this.session = this.connect();
    return this.session;
  }

  private async connect(): Promise<Session> {
    const connection = await connect(withHeartbeat(this.url), { timeout: 10_000, ...this.socketOptions });
    // A lost connection or channel must not crash the process: the next publish reconnects.
    let lost = false;
    const onLost = () => {
      lost = true;
      connection.close().catch(() => undefined);
    };
    connection.on('error', onLost);
    connection.on('close', onLost);
    const channel = await connection.createConfirmChannel().catch(async (err: unknown) => {
      await connection.close().catch(() => undefined);
      throw err;
    });
    const session: Session = { connection, channel, exchanges: new Set(), isOpen: () => !lost };
    channel.on('error', onLost);
    channel.on('close', onLost);
    channel.on('return', (message: Message) => session.onReturn?.(message));
    return session;
  }
}

function withHeartbeat(url: string | Options.Connect): string | Options.Connect {
  if (typeof url !== 'string') return { heartbeat: DEFAULT_HEARTBEAT_SECONDS, ...url };
  const parsed = new URL(url);
  if (!parsed.searchParams.has('heartbeat')) parsed.searchParams.set('heartbeat', String(DEFAULT_HEARTBEAT_SECONDS));
  return parsed.toString();
}
