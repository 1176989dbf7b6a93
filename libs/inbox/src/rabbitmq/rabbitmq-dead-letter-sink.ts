import { ChannelModel, ConfirmChannel } from 'amqplib';
import { DeadLetterRecord, DeadLetterSink } from '../ports';
import { AmqpUrl, openConnection } from './connection';
import { declareDeadLetterQueue } from './topology';

interface Session {
  readonly connection: ChannelModel;
  readonly channel: ConfirmChannel;
  /** Dead-letter queues declared on this connection. */
  readonly queues: Set<string>;
  lost: boolean;
}

/**
 * The dead-letter port on RabbitMQ: each record goes to a quorum queue named by the inbox
 * (`<queue>.dlt`) through the fanout exchange of the same name (`declareDeadLetterQueue`),
 * persistent, and counts as sent only once the broker confirmed it. After a failed send the
 * next one connects again. With `declareTopology: false` it declares nothing: the user needs
 * only `write` on the dead-letter exchange.
 */
export class RabbitMqDeadLetterSink implements DeadLetterSink {
  private session?: Promise<Session>;

  constructor(
    private readonly url: AmqpUrl,
    private readonly options: { declareTopology?: boolean } = {},
  ) {}

  async send(queue: string, record: DeadLetterRecord): Promise<void> {
    const opening = (this.session ??= this.connect());
    try {
      const session = await opening;
      if (session.lost) throw new Error('the connection to RabbitMQ was lost');
      if (this.options.declareTopology !== false && !session.queues.has(queue)) {
        await declareDeadLetterQueue(session.channel, queue);
        session.queues.add(queue);
      }
      const id = record.headers.id;
      await new Promise<void>((resolve, reject) =>
        session.channel.publish(
          queue,
          queue,
          record.value ?? Buffer.alloc(0),
          {
            persistent: true,
            mandatory: true,
            messageId: typeof id === 'string' ? id : undefined,
            headers: record.headers,
          },
          (err: unknown) => (err ? reject(err instanceof Error ? err : new Error('nacked by the broker')) : resolve()),
        ),
      );
    } catch (err) {
      if (this.session === opening) this.session = undefined;
      await opening.then((s) => s.connection.close()).catch(() => undefined);
      throw err;
    }
  }

  async close(): Promise<void> {
    const opening = this.session;
    this.session = undefined;
    await opening?.then((s) => s.connection.close()).catch(() => undefined);
  }

  private async connect(): Promise<Session> {
    let session: Session | undefined;
    const connection = await openConnection(this.url, () => {
      if (session) session.lost = true;
    });
    try {
      const channel = await connection.createConfirmChannel();
      channel.on('error', () => undefined); // surfaced by the pending publish, or the next send
      session = { connection, channel, queues: new Set(), lost: false };
      channel.on('close', () => ((session as Session).lost = true));
      return session;
    } catch (err) {
      await connection.close().catch(() => undefined);
      throw err;
    }
  }
}
