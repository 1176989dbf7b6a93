import { Module } from '@nestjs/common';
import { GetOrderHttpController } from './get-order/get-order.http.controller';
import { PlaceOrderHttpController } from './place-order/place-order.http.controller';
import { PlaceOrderService } from './place-order/place-order.service';

@Module({
  controllers: [PlaceOrderHttpController, GetOrderHttpController],
  providers: [PlaceOrderService],
})
export class OrdersModule {}
