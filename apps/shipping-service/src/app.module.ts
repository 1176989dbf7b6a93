import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CreateInboxTable1764000000001 } from '@shop/inbox';
import { HealthModule } from '@shop/service-kit';
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
        TypeOrmModule.forRoot({
          type: 'postgres',
          host: config.DB_HOST,
          port: config.DB_PORT,
          database: config.DB_NAME,
          username: config.DB_USER,
          password: config.DB_PASSWORD,
          entities: [ShipmentRecord],
          migrations: [CreateInboxTable1764000000001, CreateShipments1764000000200],
          migrationsRun: true,
          synchronize: false,
          extra: { max: 10, connectionTimeoutMillis: 5000 },
        }),
        HealthModule.forRoot({ kafkaBrokers: config.KAFKA_BROKERS }),
        ShipmentsModule,
      ],
    };
  }
}
