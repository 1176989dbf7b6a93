import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Outbox } from '@shop/outbox';
import { Order, placeOrder } from '../domain/order';
import { toIntegrationEvent } from '../order-events.mapper';
import { OrderRecord } from '../order.record';
import { PlaceOrderRequest } from './place-order.request';

@Injectable()
export class PlaceOrderService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: Outbox,
  ) {}

  /** The order row and its outbox row commit together, or neither does. */
  async placeOrder(
    request: PlaceOrderRequest,
    context: { correlationId: string; headers?: Record<string, string> },
  ): Promise<Order> {
    const { order, events } = placeOrder({
      customerId: request.customerId,
      contactEmail: request.contactEmail,
      currency: request.currency,
      lines: request.items,
      shippingAddress: request.shippingAddress,
    });
    await this.dataSource.transaction(async (manager) => {
      await manager.insert(OrderRecord, order);
      const integrationEvents = events.map((e) => toIntegrationEvent(e, { correlationId: context.correlationId }));
      await this.outbox.add(integrationEvents, manager, { headers: context.headers });
    });
    return order;
  }
}
