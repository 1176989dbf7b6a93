import { HealthIndicatorService } from '@nestjs/terminus';
import { ChannelModel, connect } from 'amqplib';
import { BROKER_TIMEOUT_MS, BrokerHealthIndicator } from './broker-health.indicator';
import { withTimeout } from './with-timeout';

interface Session {
  readonly connection: ChannelModel;
  lost: boolean;
}

/**
 * Up when the node opens (and closes) a channel within 3 s, a round trip on a connection kept
 * between checks; also the `rabbitmq_broker_reachable` gauge.
 */
export class RabbitMqHealthIndicator extends BrokerHealthIndicator {
  private session?: Promise<Session>;

  constructor(
    health: HealthIndicatorService,
    private readonly url: string,
  ) {
    super(health, {
      key: 'rabbitmq',
      gauge: 'rabbitmq_broker_reachable',
      help: '1 when the RabbitMQ node opened a channel within 3 s at scrape time',
    });
  }

  protected async reach(): Promise<void> {
    const current = await this.session?.catch(() => undefined);
    if (!current || current.lost) this.session = undefined;
    const opening = (this.session ??= this.open());
    try {
      await withTimeout(
        opening.then(async ({ connection }) => (await connection.createChannel()).close()),
        BROKER_TIMEOUT_MS,
      );
    } catch (err) {
      // Not awaited: a frozen node would hold the close as long as it holds the channel.
      if (this.session === opening) this.session = undefined;
      void opening.then(({ connection }) => connection.close()).catch(() => undefined);
      throw err;
    }
  }

  private async open(): Promise<Session> {
    const connection = await connect(this.url, { timeout: BROKER_TIMEOUT_MS });
    const session: Session = { connection, lost: false };
    // Without an error listener a lost connection would crash the process; the next check reconnects.
    connection.on('error', () => (session.lost = true));
    connection.on('close', () => (session.lost = true));
    return session;
  }

  protected async disconnect() {
    const opening = this.session;
    this.session = undefined;
    await opening?.then(({ connection }) => connection.close()).catch(() => undefined);
  }
}
