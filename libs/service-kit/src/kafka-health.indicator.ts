import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { Admin, Kafka, logLevel } from 'kafkajs';

/** Up when the cluster answers a metadata request within the timeout. */
@Injectable()
export class KafkaHealthIndicator implements OnModuleDestroy {
  private admin?: Admin;
  private brokers: string[] = [];

  constructor(private readonly health: HealthIndicatorService) {}

  configure(brokers: string[]): void {
    this.brokers = brokers;
  }

  async check(key = 'kafka', timeoutMs = 3000) {
    const indicator = this.health.check(key);
    try {
      const admin = (this.admin ??= new Kafka({
        clientId: 'health',
        brokers: this.brokers,
        logLevel: logLevel.NOTHING,
        connectionTimeout: timeoutMs,
        retry: { retries: 0 },
      }).admin());
      await withTimeout(
        admin.connect().then(() => admin.describeCluster()),
        timeoutMs,
      );
      return indicator.up();
    } catch (err) {
      await this.admin?.disconnect().catch(() => undefined);
      this.admin = undefined;
      return indicator.down({ error: err instanceof Error ? err.message : String(err) });
    }
  }

  async onModuleDestroy() {
    await this.admin?.disconnect().catch(() => undefined);
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    p.then(resolve, reject).finally(() => clearTimeout(t));
  });
}
