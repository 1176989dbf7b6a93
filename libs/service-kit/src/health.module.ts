import { Controller, DynamicModule, Get, Inject, Module, Type } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import {
  HealthCheck,
  HealthCheckService,
  HealthIndicatorResult,
  HealthIndicatorService,
  TerminusModule,
  TypeOrmHealthIndicator,
} from '@nestjs/terminus';
import { BrokerHealthIndicator } from './broker-health.indicator';
import { KafkaHealthIndicator } from './kafka-health.indicator';
import { kafkaClientConfig } from './messaging';
import type { BrokerConfig } from './load-config';
import { RabbitMqHealthIndicator } from './rabbitmq-health.indicator';
import { withTimeout } from './with-timeout';

const BROKER_HEALTH = Symbol('HEALTH_BROKER');
const EXTRA = Symbol('HEALTH_EXTRA_INDICATORS');

/** Every check answers within this, whatever its dependency does (a frozen broker included). */
export const HEALTH_CHECK_TIMEOUT_MS = 3000;

/** A service's own indicator, e.g. the outbox backlog; `key` names it in the result. */
export interface HealthIndicatorLike {
  readonly key: string;
  check(): Promise<HealthIndicatorResult>;
}

@Controller('health')
class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
    @Inject(BROKER_HEALTH) private readonly broker: BrokerHealthIndicator,
    @Inject(EXTRA) private readonly extra: Type<HealthIndicatorLike>[],
    private readonly moduleRef: ModuleRef,
  ) {}

  /** Liveness: the process answers. Restarting it would not fix a missing database. */
  @Get('live')
  live() {
    return { status: 'ok' };
  }

  /**
   * Readiness: can this service do its job, i.e. answer its HTTP API? That needs its
   * database only. The broker is what the outbox and the inbox exist to tolerate: orders
   * are taken while it is away, so it never makes a service not-ready (see diagnostics).
   */
  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check([() => this.db.pingCheck('database', { timeout: HEALTH_CHECK_TIMEOUT_MS })]);
  }

  /**
   * Every check, for people and dashboards: the database, the broker, the outbox backlog
   * and parked rows, the inbox consumers. Always 200, so that nobody wires it into a probe
   * by mistake; `status` is `degraded` when a check is down. Alerts use the metrics.
   */
  @Get('diagnostics')
  async diagnostics() {
    const checks: [string, () => Promise<HealthIndicatorResult>][] = [
      ['database', () => this.db.pingCheck('database', { timeout: HEALTH_CHECK_TIMEOUT_MS })],
      [this.broker.key, () => this.broker.check()],
      ...this.extra.map((type): [string, () => Promise<HealthIndicatorResult>] => {
        const indicator = this.moduleRef.get(type, { strict: false });
        return [indicator.key, () => indicator.check()];
      }),
    ];
    const results = await Promise.all(
      checks.map(([name, run]) =>
        withTimeout(run(), HEALTH_CHECK_TIMEOUT_MS).catch((err: unknown): HealthIndicatorResult => ({
          [name]: { status: 'down', error: err instanceof Error ? err.message : String(err) },
        })),
      ),
    );
    const details: HealthIndicatorResult = Object.assign({}, ...results);
    const degraded = Object.values(details).some((d) => d.status !== 'up');
    return { status: degraded ? 'degraded' : 'ok', details };
  }
}

@Module({})
export class HealthModule {
  /** `broker`: the service's configuration, whose BROKER decides which broker is checked (`kafka` or `rabbitmq`). */
  static forRoot(opts: { broker: BrokerConfig; indicators?: Type<HealthIndicatorLike>[] }): DynamicModule {
    const { broker } = opts;
    return {
      module: HealthModule,
      imports: [TerminusModule.forRoot({ logger: false })],
      controllers: [HealthController],
      providers: [
        {
          provide: BROKER_HEALTH,
          inject: [HealthIndicatorService],
          useFactory: (health: HealthIndicatorService): BrokerHealthIndicator =>
            broker.BROKER === 'rabbitmq'
              ? new RabbitMqHealthIndicator(health, broker.RABBITMQ_URL)
              : new KafkaHealthIndicator(health, kafkaClientConfig(broker, 'health')),
        },
        { provide: EXTRA, useValue: opts.indicators ?? [] },
      ],
    };
  }
}
