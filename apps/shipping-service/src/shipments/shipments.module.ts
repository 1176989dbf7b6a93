import { Module } from '@nestjs/common';
import { OrderCancelledEventHandler } from './cancel-shipment/order-cancelled.event-handler';
import { DispatchShipmentHttpController } from './dispatch-shipment/dispatch-shipment.http.controller';
import { ListShipmentsHttpController } from './list-shipments/list-shipments.http.controller';
import { OrderPlacedEventHandler } from './schedule-shipment/order-placed.event-handler';

@Module({
  controllers: [
    OrderPlacedEventHandler,
    OrderCancelledEventHandler,
    ListShipmentsHttpController,
    DispatchShipmentHttpController,
  ],
})
export class ShipmentsModule {}
