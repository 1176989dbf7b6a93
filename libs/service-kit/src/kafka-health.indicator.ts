import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { Admin, Kafka, logLevel } from 'kafkajs';
import { Gauge, register } from 'prom-client';
import { withTimeout } from './with-timeout';

const TIMEOUT_MS = 3000;
const GAUGE = 'kafka_broker_reachable';

/** Up when the cluster answers a metadata request within 3 s; also the `kafka_broker_reachable` gauge. */
@Injectable()
export class KafkaHealthIndicator implements OnModuleDestroy {
  private admin?: Admin;
  private brokers: string[] = [];

  constructor(private readonly health: HealthIndicatorService) {
    const reachable = () =>
      this.reach().then(
        () => 1,
        () => 0,
      );
    register.removeSingleMetric(GAUGE); // one per process, even where tests build several apps
    new Gauge({
      name: GAUGE,
      help: '1 when the Kafka cluster answered a metadata request within 3 s at scrape time',
      registers: [register],
      async collect() {
        this.set(await reachable());
      },
    });
  }

  configure(brokers: string[]): void {
    this.brokers = brokers;
  }

  async check(key = 'kafka') {
    const indicator = this.health.check(key);
    try {
      await this.reach();
      return indicator.up();
    } catch (err) {
      return indicator.down({ error: err instanceof Error ? err.message : String(err) });
    }
  }

  private async reach(): Promise<void> {
    const admin = (this.admin ??= new Kafka({
      clientId: 'health',
      brokers: this.brokers,
      logLevel: logLevel.NOTHING,
      connectionTimeout: TIMEOUT_MS,
      requestTimeout: TIMEOUT_MS,
      retry: { retries: 0 },
    }).admin());
    try {
      await withTimeout(
        admin.connect().then(() => admin.describeCluster()),
        TIMEOUT_MS,
      );
    } catch (err) {
      // Not awaited: against a frozen broker the disconnect waits on requests in flight.
      if (this.admin === admin) this.admin = undefined;
      void admin.disconnect().catch(() => undefined);
      throw err;
    }
  }

  async onModuleDestroy() {
    register.removeSingleMetric(GAUGE);
    await this.admin?.disconnect().catch(() => undefined);
  }
}
