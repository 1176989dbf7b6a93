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
import { DataSource } from 'typeorm';
import { Kafka, KafkaConfig, logLevel } from 'kafkajs';
import { Outbox } from './outbox';
import { OutboxRelay, OutboxRelayOptions } from './outbox-relay';

export interface OutboxModuleOptions {
  kafka: KafkaConfig;
  relay?: Omit<OutboxRelayOptions, 'logger'>;
  /** Run the relay in this process. Default true; turn off where a CDC tool publishes. */
  runRelay?: boolean;
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
      imports: options.imports ?? [],
      providers: [
        { provide: OUTBOX_OPTIONS, inject: (options.inject ?? []) as never[], useFactory: options.useFactory },
        { provide: Outbox, useValue: new Outbox() },
        {
          provide: OutboxRelay,
          inject: [DataSource, OUTBOX_OPTIONS],
          useFactory: (dataSource: DataSource, opts: OutboxModuleOptions) => {
            const logger = new Logger('OutboxRelay');
            const kafka = new Kafka({ logLevel: logLevel.WARN, ...opts.kafka });
            return new OutboxRelay(dataSource, kafka, {
              ...opts.relay,
              logger: {
                log: (m, c) => logger.log({ msg: m, ...c }),
                warn: (m, c) => logger.warn({ msg: m, ...c }),
                error: (m, c) => logger.error({ msg: m, ...c }),
              },
            });
          },
        },
        OutboxRelayLifecycle,
      ],
      exports: [Outbox, OutboxRelay],
    };
  }
}
