import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { register } from 'prom-client';
import { CreateInboxTable1764000000001 } from '@transactional-outbox/inbox';
import { InboxHealthIndicator, InboxModule } from '@transactional-outbox/inbox/nest';
import {
  ClaimLog,
  CreateOutboxPublication1764000000010,
  CreateOutboxTable1764000000000,
  PendingRow,
} from '@transactional-outbox/outbox';
import { OutboxHealthIndicator, OutboxModule, outboxAdminController } from '@transactional-outbox/outbox/nest';
import { OutboxMetrics } from '@transactional-outbox/outbox/prometheus';
import {
  failpoint,
  kafkaClientConfig,
  relayModeOptions,
  HealthModule,
  LoggingModule,
  messagingFor,
  MetricsModule,
  OperatorAuthModule,
  OperatorOnly,
  postgresOptions,
} from '@shop/service-kit';
import { OrderServiceConfig } from './config';
import { CreateOrders1764000000100 } from './migrations/1764000000100-create-orders';
import { IdempotencyKeyRecord, OrderRecord } from './orders/order.record';
import { OrdersModule } from './orders/orders.module';
import { PlaceOrderNaivelyModule } from './orders/place-order-naively/place-order-naively.module';

@Module({})
export class AppModule {
  static forRoot(config: OrderServiceConfig): DynamicModule {
    // When the polling relay claimed each row, for GET /outbox/rows (the dashboard's "claimed" hop).
    const claims = new ClaimLog();
    const claimFailpoint = failpoint(config.FAILPOINT, 'relay-after-claim');
    return {
      module: AppModule,
      controllers: [outboxAdminController({ protect: OperatorOnly(), claims })],
      imports: [
        LoggingModule.forRoot('order-service'),
        OperatorAuthModule.forRoot(config.OPERATOR_TOKEN),
        TypeOrmModule.forRoot(
          postgresOptions(
            config,
            {
              entities: [OrderRecord, IdempotencyKeyRecord],
              migrations: [
                CreateOutboxTable1764000000000,
                CreateInboxTable1764000000001,
                CreateOutboxPublication1764000000010,
                CreateOrders1764000000100,
              ],
            },
            config.OUTBOX_RELAY_SHARDS,
          ),
        ),
        OutboxModule.forRootAsync({
          useFactory: () => {
            const publisher = messagingFor(config, 'order-service').publisher();
            const hooks = {
              afterClaim: (rows: readonly PendingRow[]) => {
                claims.record(rows);
                claimFailpoint?.();
              },
              afterPublish: failpoint(config.FAILPOINT, 'relay-after-publish'),
            };
            const relayOn = config.OUTBOX_RELAY === 'on';
            return {
              publisher,
              relay: {
                notifyChannel: relayOn ? undefined : '',
                pollIntervalMs: config.OUTBOX_POLL_INTERVAL_MS,
                batchSize: config.OUTBOX_BATCH_SIZE,
                shards: config.OUTBOX_RELAY_SHARDS,
                hooks,
              },
              metrics: (admin) => new OutboxMetrics(register, admin),
              ...relayModeOptions(config.RELAY_MODE, config, publisher, hooks),
              ...(relayOn ? {} : { runRelay: false }),
            };
          },
        }),
        InboxModule,
        HealthModule.forRoot({
          broker: config,
          indicators: [OutboxHealthIndicator, InboxHealthIndicator],
        }),
        MetricsModule,
        OrdersModule,
        ...(config.DEMO_NAIVE_DUAL_WRITE && config.BROKER === 'kafka'
          ? [PlaceOrderNaivelyModule.forRoot(kafkaClientConfig(config, 'order-service-naive'))]
          : []),
      ],
    };
  }
}
