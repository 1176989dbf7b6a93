import {
  DynamicModule,
  Logger,
  Module,
  ModuleMetadata,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { HealthIndicatorService, TerminusModule } from '@nestjs/terminus';
import { DataSource } from 'typeorm';
import { OutboxLogger } from '../logger';
import { OutboxMetricsSink } from '../metrics';
import { Outbox } from '../outbox';
import { OutboxAdmin } from '../outbox-admin';
import { OutboxTableOptions } from '../outbox-table';
import { installPgErrorListener } from '../pg-error-listener';
import { OutboxPublisher } from '../publisher';
import { OutboxRelay } from '../relay/outbox-relay';
import { OutboxRelayOptions } from '../relay/relay-options';
import { OutboxHealthIndicator } from './outbox.health';

export interface OutboxModuleOptions extends OutboxTableOptions {
  /** Where the relay publishes, e.g. `new KafkaJsPublisher(kafka)`. The relay closes it at shutdown. */
  publisher: OutboxPublisher;
  /** The DataSource with the outbox table. Default: the one TypeOrmModule provides as `DataSource`. */
  dataSource?: DataSource;
  relay?: Omit<OutboxRelayOptions, keyof OutboxTableOptions | 'logger' | 'metrics'>;
  /** Run the relay in this process. Default true; turn off where Debezium publishes. */
  runRelay?: boolean;
  /**
   * A relay other than the polling one, started and stopped in its place, e.g.
   * `(ds, base) => new OutboxLogicalRelay(ds, publisher, { ...base, connection })` from `/logical`.
   * The outbox then sends no NOTIFY (a log-based relay needs no wake-up).
   */
  relayFactory?: (dataSource: DataSource, base: RelayBase) => ManagedRelay;
  /** `Outbox` deletes its rows in the inserting transaction (for Debezium or a logical relay that does not mark): see OutboxOptions. */
  deleteAfterInsert?: boolean;
  /** The relay's metrics, e.g. `(admin) => new OutboxMetrics(register, admin)` from `/prometheus`. Default: none. */
  metrics?: (admin: OutboxAdmin) => OutboxMetricsSink;
  /** The health indicator reports down past this age of the oldest pending row. Default 60 s. */
  healthMaxAgeSeconds?: number;
}

/** What `relayFactory` is given: the table, the module's logger and metrics. */
export interface RelayBase extends OutboxTableOptions {
  logger: OutboxLogger;
  metrics?: OutboxMetricsSink;
}

/** A relay the module starts with the application and stops at shutdown. */
export interface ManagedRelay {
  readonly isLeader: boolean;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface OutboxModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  /** E.g. `[getDataSourceToken('orders')]`, handed to `useFactory` to return as `dataSource`. */
  inject?: unknown[];
  useFactory: (...args: never[]) => OutboxModuleOptions | Promise<OutboxModuleOptions>;
}

const OUTBOX_OPTIONS = Symbol('OUTBOX_OPTIONS');
const OUTBOX_DATA_SOURCE = Symbol('OUTBOX_DATA_SOURCE');
const OUTBOX_LIFECYCLE = Symbol('OUTBOX_LIFECYCLE');
const OUTBOX_ACTIVE_RELAY = Symbol('OUTBOX_ACTIVE_RELAY');
const OUTBOX_METRICS = Symbol('OUTBOX_METRICS');

class OutboxRelayLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    private readonly relay: ManagedRelay,
    private readonly run: boolean,
  ) {}

  async onApplicationBootstrap() {
    if (this.run) await this.relay.start();
  }

  async onApplicationShutdown() {
    await this.relay.stop();
  }
}

function nestLogger(context: string): OutboxLogger {
  const logger = new Logger(context);
  return {
    log: (msg, c) => logger.log({ msg, ...c }),
    warn: (msg, c) => logger.warn({ msg, ...c }),
    error: (msg, c) => logger.error({ msg, ...c }),
  };
}

/**
 * Wires the outbox into NestJS: provides Outbox, OutboxRelay (started with the app unless
 * `runRelay: false`), OutboxAdmin and OutboxHealthIndicator, and installs the pg error
 * listener on the DataSource's pool.
 */
@Module({})
export class OutboxModule {
  static forRootAsync(options: OutboxModuleAsyncOptions): DynamicModule {
    const table = (o: OutboxModuleOptions): OutboxTableOptions => ({ schema: o.schema, table: o.table });
    return {
      module: OutboxModule,
      global: true,
      imports: [TerminusModule, ...(options.imports ?? [])],
      providers: [
        { provide: OUTBOX_OPTIONS, inject: (options.inject ?? []) as never[], useFactory: options.useFactory },
        {
          provide: OUTBOX_DATA_SOURCE,
          inject: [OUTBOX_OPTIONS, { token: DataSource, optional: true }],
          useFactory: (opts: OutboxModuleOptions, fromTypeOrm?: DataSource) => {
            const dataSource = opts.dataSource ?? fromTypeOrm;
            if (!dataSource?.isInitialized)
              throw new Error('OutboxModule needs an initialized DataSource: import TypeOrmModule, or pass dataSource');
            installPgErrorListener(dataSource);
            return dataSource;
          },
        },
        {
          provide: OutboxAdmin,
          inject: [OUTBOX_DATA_SOURCE, OUTBOX_OPTIONS],
          useFactory: (ds: DataSource, opts: OutboxModuleOptions) => new OutboxAdmin(ds, table(opts)),
        },
        {
          provide: OUTBOX_METRICS,
          inject: [OUTBOX_OPTIONS, OutboxAdmin],
          useFactory: (opts: OutboxModuleOptions, admin: OutboxAdmin) => opts.metrics?.(admin) ?? null,
        },
        {
          provide: OutboxRelay,
          inject: [OUTBOX_DATA_SOURCE, OUTBOX_OPTIONS, OUTBOX_METRICS],
          useFactory: (ds: DataSource, opts: OutboxModuleOptions, metrics: OutboxMetricsSink | null) =>
            new OutboxRelay(ds, opts.publisher, {
              ...opts.relay,
              ...table(opts),
              metrics: metrics ?? undefined,
              logger: nestLogger('OutboxRelay'),
            }),
        },
        {
          provide: OUTBOX_ACTIVE_RELAY,
          inject: [OUTBOX_DATA_SOURCE, OUTBOX_OPTIONS, OUTBOX_METRICS, OutboxRelay],
          useFactory: (
            ds: DataSource,
            opts: OutboxModuleOptions,
            metrics: OutboxMetricsSink | null,
            polling: OutboxRelay,
          ) =>
            opts.relayFactory?.(ds, {
              ...table(opts),
              metrics: metrics ?? undefined,
              logger: nestLogger('OutboxLogicalRelay'),
            }) ?? polling,
        },
        {
          provide: Outbox,
          inject: [OUTBOX_ACTIVE_RELAY, OUTBOX_OPTIONS],
          useFactory: (relay: ManagedRelay, opts: OutboxModuleOptions) =>
            new Outbox({
              ...table(opts),
              notifyChannel: opts.relayFactory || opts.deleteAfterInsert ? '' : opts.relay?.notifyChannel,
              deleteAfterInsert: opts.deleteAfterInsert,
              localRelay: opts.runRelay === false ? undefined : relay,
            }),
        },
        {
          provide: OutboxHealthIndicator,
          inject: [HealthIndicatorService, OutboxAdmin, OUTBOX_OPTIONS],
          useFactory: (health: HealthIndicatorService, admin: OutboxAdmin, opts: OutboxModuleOptions) =>
            new OutboxHealthIndicator(health, admin, opts.healthMaxAgeSeconds ?? 60),
        },
        {
          provide: OUTBOX_LIFECYCLE,
          inject: [OUTBOX_ACTIVE_RELAY, OUTBOX_OPTIONS],
          useFactory: (relay: ManagedRelay, opts: OutboxModuleOptions) =>
            new OutboxRelayLifecycle(relay, opts.runRelay !== false),
        },
      ],
      exports: [Outbox, OutboxRelay, OutboxAdmin, OutboxHealthIndicator],
    };
  }
}
