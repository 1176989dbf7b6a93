import { DynamicModule, Module } from '@nestjs/common';
import { PlaceOrderNaivelyHttpController } from './place-order-naively.http.controller';
import type { KafkaConfig } from 'kafkajs';
import { NAIVE_KAFKA, PlaceOrderNaivelyService } from './place-order-naively.service';

/** DEMO ONLY: the naive dual-write endpoint, imported only when DEMO_NAIVE_DUAL_WRITE=true. */
@Module({})
export class PlaceOrderNaivelyModule {
  static forRoot(kafka: KafkaConfig): DynamicModule {
    return {
      module: PlaceOrderNaivelyModule,
      controllers: [PlaceOrderNaivelyHttpController],
      providers: [{ provide: NAIVE_KAFKA, useValue: kafka }, PlaceOrderNaivelyService],
    };
  }
}
