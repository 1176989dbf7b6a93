import { Module } from '@nestjs/common';
import { CancelOrderHttpController } from './cancel-order/cancel-order.http.controller';
import { CancelOrderService } from './cancel-order/cancel-order.service';
import { GetOrderHttpController } from './get-order/get-order.http.controller';
import { ListOrdersHttpController } from './list-orders/list-orders.http.controller';
import { PlaceOrderHttpController } from './place-order/place-order.http.controller';
import { PlaceOrderService } from './place-order/place-order.service';
import { ShipmentDispatchedEventHandler } from './record-dispatch/shipment-dispatched.event-handler';

@Module({
  controllers: [
    PlaceOrderHttpController,
    GetOrderHttpController,
    ListOrdersHttpController,
    CancelOrderHttpController,
    ShipmentDispatchedEventHandler,
  ],
  providers: [PlaceOrderService, CancelOrderService],
})
export class OrdersModule {}
