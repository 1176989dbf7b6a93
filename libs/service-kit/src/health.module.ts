import { Controller, DynamicModule, Get, Inject, Module, Type } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import {
  HealthCheck,
  HealthCheckService,
  HealthIndicatorResult,
  TerminusModule,
  TypeOrmHealthIndicator,
} from '@nestjs/terminus';
import { KafkaHealthIndicator } from './kafka-health.indicator';

const BROKERS = Symbol('HEALTH_KAFKA_BROKERS');
const EXTRA = Symbol('HEALTH_EXTRA_INDICATORS');

/** A service's own indicator, e.g. the outbox backlog. */
export interface HealthIndicatorLike {
  check(): Promise<HealthIndicatorResult>;
}

@Controller('health')
class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
    private readonly kafka: KafkaHealthIndicator,
    @Inject(BROKERS) brokers: string[],
    @Inject(EXTRA) private readonly extra: Type<HealthIndicatorLike>[],
    private readonly moduleRef: ModuleRef,
  ) {
    kafka.configure(brokers);
  }

  /** Liveness: the process answers. Restarting it would not fix a missing database. */
  @Get('live')
  live() {
    return { status: 'ok' };
  }

  /** Readiness: 200 when the database, the Kafka cluster and the service's own indicators are up; 503 otherwise. */
  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check([
      () => this.db.pingCheck('database', { timeout: 3000 }),
      () => this.kafka.check(),
      ...this.extra.map((type) => () => this.moduleRef.get(type, { strict: false }).check()),
    ]);
  }
}

@Module({})
export class HealthModule {
  static forRoot(opts: { kafkaBrokers: string[]; indicators?: Type<HealthIndicatorLike>[] }): DynamicModule {
    return {
      module: HealthModule,
      imports: [TerminusModule.forRoot({ logger: false })],
      controllers: [HealthController],
      providers: [
        KafkaHealthIndicator,
        { provide: BROKERS, useValue: opts.kafkaBrokers },
        { provide: EXTRA, useValue: opts.indicators ?? [] },
      ],
    };
  }
}
