import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { register } from 'prom-client';
import { CreateInboxTable1764000000001 } from '@transactional-outbox/inbox';
import { InboxHealthIndicator, InboxModule } from '@transactional-outbox/inbox/nest';
import { CreateOutboxPublication1764000000010, CreateOutboxTable1764000000000 } from '@transactional-outbox/outbox';
import { OutboxHealthIndicator, OutboxModule, outboxAdminController } from '@transactional-outbox/outbox/nest';
import { OutboxMetrics } from '@transactional-outbox/outbox/prometheus';
import {
  failpoint,
  relayModeOptions,
  HealthModule,
  LoggingModule,
  messagingFor,
  MetricsModule,
  OperatorAuthModule,
  OperatorOnly,
  postgresOptions,
} from '@shop/service-kit';
import { ShippingServiceConfig } from './config';
import { CreateShipments1764000000200 } from './migrations/1764000000200-create-shipments';
import { ShipmentRecord } from './shipments/shipment.record';
import { ShipmentsModule } from './shipments/shipments.module';

@Module({})
export class AppModule {
  static forRoot(config: ShippingServiceConfig): DynamicModule {
    return {
      module: AppModule,
      // Its outbox's parked rows and their re-queue, for operators (the dashboard).
      controllers: [outboxAdminController({ protect: OperatorOnly() })],
      imports: [
        LoggingModule.forRoot('shipping-service'),
        OperatorAuthModule.forRoot(config.OPERATOR_TOKEN),
        TypeOrmModule.forRoot(
          postgresOptions(
            config,
            {
              entities: [ShipmentRecord],
              migrations: [
                CreateOutboxTable1764000000000,
                CreateInboxTable1764000000001,
                CreateOutboxPublication1764000000010,
                CreateShipments1764000000200,
              ],
            },
            config.OUTBOX_RELAY_SHARDS,
          ),
        ),
        // The same outbox library as order-service: shipment events leave the same way.
        OutboxModule.forRootAsync({
          useFactory: () => {
            const publisher = messagingFor(config, 'shipping-service').publisher();
            const hooks = { afterPublish: failpoint(config.FAILPOINT, 'relay-after-publish') };
            return {
              publisher,
              relay: { shards: config.OUTBOX_RELAY_SHARDS, hooks },
              metrics: (admin) => new OutboxMetrics(register, admin),
              ...relayModeOptions(config.RELAY_MODE, config, publisher, hooks),
            };
          },
        }),
        InboxModule,
        HealthModule.forRoot({
          broker: config,
          indicators: [InboxHealthIndicator, OutboxHealthIndicator],
        }),
        MetricsModule,
        ShipmentsModule,
      ],
    };
  }
}
