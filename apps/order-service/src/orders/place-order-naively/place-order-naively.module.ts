import { DynamicModule, Module } from '@nestjs/common';
import { PlaceOrderNaivelyHttpController } from './place-order-naively.http.controller';
import { NAIVE_KAFKA_BROKERS, PlaceOrderNaivelyService } from './place-order-naively.service';

/** DEMO ONLY: the naive dual-write endpoint, imported only when DEMO_NAIVE_DUAL_WRITE=true. */
@Module({})
export class PlaceOrderNaivelyModule {
  static forRoot(kafkaBrokers: string[]): DynamicModule {
    return {
      module: PlaceOrderNaivelyModule,
      controllers: [PlaceOrderNaivelyHttpController],
      providers: [{ provide: NAIVE_KAFKA_BROKERS, useValue: kafkaBrokers }, PlaceOrderNaivelyService],
    };
  }
}
