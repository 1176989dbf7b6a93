import { Module } from '@nestjs/common';
import { ListShipmentsHttpController } from './list-shipments/list-shipments.http.controller';
import { OrderPlacedEventHandler } from './schedule-shipment/order-placed.event-handler';

@Module({ controllers: [OrderPlacedEventHandler, ListShipmentsHttpController] })
export class ShipmentsModule {}
