import { OnModuleDestroy } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { Gauge, register } from 'prom-client';

/** How long a broker has to answer a health check or a scrape. */
export const BROKER_TIMEOUT_MS = 3000;

/** A broker's check in /health/diagnostics and its gauge; alert rules use the gauge's name. */
export interface BrokerCheck {
  readonly key: 'kafka' | 'rabbitmq';
  readonly gauge: 'kafka_broker_reachable' | 'rabbitmq_broker_reachable';
  readonly help: string;
}

/**
 * A broker's health check (`key` in /health/diagnostics) and its reachability gauge, read at
 * scrape time. Subclasses say how to reach their broker within 3 s.
 */
export abstract class BrokerHealthIndicator implements OnModuleDestroy {
  readonly key: BrokerCheck['key'];
  private readonly gauge: string;

  protected constructor(
    private readonly health: HealthIndicatorService,
    { key, gauge, help }: BrokerCheck,
  ) {
    this.key = key;
    this.gauge = gauge;
    const reachable = () =>
      this.reach().then(
        () => 1,
        () => 0,
      );
    register.removeSingleMetric(gauge); // one per process, even where tests build several apps
    new Gauge({
      name: gauge,
      help,
      registers: [register],
      async collect() {
        this.set(await reachable());
      },
    });
  }

  async check() {
    const indicator = this.health.check(this.key);
    try {
      await this.reach();
      return indicator.up();
    } catch (err) {
      return indicator.down({ error: err instanceof Error ? err.message : String(err) });
    }
  }

  /** Resolves when the broker answered within 3 s; rejects otherwise. */
  protected abstract reach(): Promise<void>;

  /** Closes what `reach` keeps open. */
  protected abstract disconnect(): Promise<void>;

  async onModuleDestroy() {
    register.removeSingleMetric(this.gauge);
    await this.disconnect();
  }
}
