import { Controller, DynamicModule, Get, Inject, Module } from '@nestjs/common';
import { HealthCheck, HealthCheckService, TerminusModule, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { KafkaHealthIndicator } from './kafka-health.indicator';

const BROKERS = Symbol('HEALTH_KAFKA_BROKERS');

@Controller('health')
class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
    private readonly kafka: KafkaHealthIndicator,
    @Inject(BROKERS) brokers: string[],
  ) {
    kafka.configure(brokers);
  }

  /** 200 when the service's database and the Kafka cluster both answer; 503 otherwise. */
  @Get()
  @HealthCheck()
  check() {
    return this.health.check([() => this.db.pingCheck('database', { timeout: 3000 }), () => this.kafka.check()]);
  }
}

@Module({})
export class HealthModule {
  static forRoot(opts: { kafkaBrokers: string[] }): DynamicModule {
    return {
      module: HealthModule,
      imports: [TerminusModule.forRoot({ logger: false })],
      controllers: [HealthController],
      providers: [KafkaHealthIndicator, { provide: BROKERS, useValue: opts.kafkaBrokers }],
    };
  }
}
