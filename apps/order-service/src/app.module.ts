import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { register } from 'prom-client';
import { CreateOutboxTable1764000000000, OutboxHealthIndicator, OutboxModule } from '@shop/outbox';
import { HealthModule, MetricsModule, postgresOptions } from '@shop/service-kit';
import { OrderServiceConfig } from './config';
import { CreateOrders1764000000100 } from './migrations/1764000000100-create-orders';
import { OrderRecord } from './orders/order.record';
import { OrdersModule } from './orders/orders.module';

@Module({})
export class AppModule {
  static forRoot(config: OrderServiceConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        TypeOrmModule.forRoot(
          postgresOptions(config, {
            entities: [OrderRecord],
            migrations: [CreateOutboxTable1764000000000, CreateOrders1764000000100],
          }),
        ),
        OutboxModule.forRootAsync({
          useFactory: () => ({
            kafka: { clientId: 'order-service', brokers: config.KAFKA_BROKERS },
            relay: { pollIntervalMs: config.OUTBOX_POLL_INTERVAL_MS },
            metricsRegistry: register,
          }),
        }),
        HealthModule.forRoot({ kafkaBrokers: config.KAFKA_BROKERS, indicators: [OutboxHealthIndicator] }),
        MetricsModule,
        OrdersModule,
      ],
    };
  }
}
