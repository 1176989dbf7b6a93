import { HealthIndicatorService } from '@nestjs/terminus';
import { Admin, Kafka, KafkaConfig, logLevel } from 'kafkajs';
import { BROKER_TIMEOUT_MS, BrokerHealthIndicator } from './broker-health.indicator';
import { withTimeout } from './with-timeout';

/** Up when the cluster answers a metadata request within 3 s; also the `kafka_broker_reachable` gauge. */
export class KafkaHealthIndicator extends BrokerHealthIndicator {
  private admin?: Admin;

  constructor(
    health: HealthIndicatorService,
    private readonly client: KafkaConfig,
  ) {
    super(health, {
      key: 'kafka',
      gauge: 'kafka_broker_reachable',
      help: '1 when the Kafka cluster answered a metadata request within 3 s at scrape time',
    });
  }

  protected async reach(): Promise<void> {
    const admin = (this.admin ??= new Kafka({
      ...this.client,
      logLevel: logLevel.NOTHING,
      connectionTimeout: BROKER_TIMEOUT_MS,
      requestTimeout: BROKER_TIMEOUT_MS,
      retry: { retries: 0 },
    }).admin());
    try {
      await withTimeout(
        admin.connect().then(() => admin.describeCluster()),
        BROKER_TIMEOUT_MS,
      );
    } catch (err) {
      // Not awaited: against a frozen broker the disconnect waits on requests in flight.
      if (this.admin === admin) this.admin = undefined;
      void admin.disconnect().catch(() => undefined);
      throw err;
    }
  }

  protected async disconnect() {
    await this.admin?.disconnect().catch(() => undefined);
  }
}
