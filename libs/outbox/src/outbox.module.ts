import {
  DynamicModule,
  Inject,
  Injectable,
  Logger,
  Module,
  ModuleMetadata,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { DataSource } from 'typeorm';
import { Kafka, KafkaConfig, logLevel } from 'kafkajs';
import { Registry } from 'prom-client';
import { Outbox } from './outbox';
import { OutboxAdmin } from './outbox-admin';
import { OUTBOX_HEALTH_MAX_AGE, OutboxHealthIndicator } from './outbox.health';
import { OutboxMetrics } from './outbox-metrics';
import { OutboxRelay, OutboxRelayOptions } from './outbox-relay';

export interface OutboxModuleOptions {
  kafka: KafkaConfig;
  relay?: Omit<OutboxRelayOptions, 'logger' | 'metrics'>;
  /** Run the relay in this process. Default true; turn off where Debezium publishes. */
  runRelay?: boolean;
  /** Where the relay's metrics go, e.g. prom-client's default `register`. Default: none. */
  metricsRegistry?: Registry;
  /** The health indicator reports down past this age of the oldest pending row. Default 60 s. */
  healthMaxAgeSeconds?: number;
}

export interface OutboxModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  inject?: unknown[];
  useFactory: (...args: never[]) => OutboxModuleOptions | Promise<OutboxModuleOptions>;
}

const OUTBOX_OPTIONS = Symbol('OUTBOX_OPTIONS');

@Injectable()
class OutboxRelayLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    private readonly relay: OutboxRelay,
    @Inject(OUTBOX_OPTIONS) private readonly options: OutboxModuleOptions,
  ) {}

  async onApplicationBootstrap() {
    if (this.options.runRelay !== false) await this.relay.start();
  }

  async onApplicationShutdown() {
    await this.relay.stop();
  }
}

/** Wires the outbox into NestJS. Expects TypeOrmModule to provide the DataSource. */
@Module({})
export class OutboxModule {
  static forRootAsync(options: OutboxModuleAsyncOptions): DynamicModule {
    return {
      module: OutboxModule,
      global: true,
      imports: [TerminusModule, ...(options.imports ?? [])],
      providers: [
        { provide: OUTBOX_OPTIONS, inject: (options.inject ?? []) as never[], useFactory: options.useFactory },
        { provide: OutboxAdmin, inject: [DataSource], useFactory: (ds: DataSource) => new OutboxAdmin(ds) },
        {
          provide: OutboxRelay,
          inject: [DataSource, OUTBOX_OPTIONS, OutboxAdmin],
          useFactory: (dataSource: DataSource, opts: OutboxModuleOptions, admin: OutboxAdmin) => {
            const logger = new Logger('OutboxRelay');
            return new OutboxRelay(dataSource, new Kafka({ logLevel: logLevel.WARN, ...opts.kafka }), {
              ...opts.relay,
              metrics: opts.metricsRegistry ? new OutboxMetrics(opts.metricsRegistry, admin) : undefined,
              logger: {
                log: (msg, c) => logger.log({ msg, ...c }),
                warn: (msg, c) => logger.warn({ msg, ...c }),
                error: (msg, c) => logger.error({ msg, ...c }),
              },
            });
          },
        },
        {
          provide: Outbox,
          inject: [OutboxRelay, OUTBOX_OPTIONS],
          useFactory: (relay: OutboxRelay, opts: OutboxModuleOptions) =>
            new Outbox({
              notifyChannel: opts.relay?.notifyChannel,
              localRelay: opts.runRelay === false ? undefined : relay,
            }),
        },
        {
          provide: OUTBOX_HEALTH_MAX_AGE,
          inject: [OUTBOX_OPTIONS],
          useFactory: (opts: OutboxModuleOptions) => opts.healthMaxAgeSeconds ?? 60,
        },
        OutboxHealthIndicator,
        OutboxRelayLifecycle,
      ],
      exports: [Outbox, OutboxRelay, OutboxAdmin, OutboxHealthIndicator],
    };
  }
}
