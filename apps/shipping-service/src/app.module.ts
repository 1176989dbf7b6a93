import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CreateInboxTable1764000000001, InboxHealthIndicator, InboxModule } from '@shop/inbox';
import { HealthModule, MetricsModule, postgresOptions } from '@shop/service-kit';
import { ShippingServiceConfig } from './config';
import { CreateShipments1764000000200 } from './migrations/1764000000200-create-shipments';
import { ShipmentRecord } from './shipments/shipment.record';
import { ShipmentsModule } from './shipments/shipments.module';

@Module({})
export class AppModule {
  static forRoot(config: ShippingServiceConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        TypeOrmModule.forRoot(
          postgresOptions(config, {
            entities: [ShipmentRecord],
            migrations: [CreateInboxTable1764000000001, CreateShipments1764000000200],
          }),
        ),
        InboxModule,
        HealthModule.forRoot({ kafkaBrokers: config.KAFKA_BROKERS, indicators: [InboxHealthIndicator] }),
        MetricsModule,
        ShipmentsModule,
      ],
    };
  }
}
