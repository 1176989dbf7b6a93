import { Controller, Logger, UseFilters } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { randomUUID } from 'node:crypto';
import { orderPlacedV1, OrderPlacedV1 } from '@shop/contracts';
import { InboxContext, InboxExceptionFilter } from '@shop/inbox';
import { ShipmentRecord } from '../shipment.record';

@Controller()
@UseFilters(InboxExceptionFilter)
export class OrderPlacedEventHandler {
  private readonly logger = new Logger(OrderPlacedEventHandler.name);

  /** Runs inside the inbox transaction: the shipment and the inbox row commit together. */
  @EventPattern(orderPlacedV1.type)
  async handle(@Payload() event: OrderPlacedV1, @Ctx() ctx: InboxContext): Promise<void> {
    const shipment = ctx.manager.create(ShipmentRecord, {
      id: randomUUID(),
      orderId: event.orderId,
      status: 'SCHEDULED',
      itemCount: event.items.reduce((n, i) => n + i.quantity, 0),
      shippingAddress: event.shippingAddress,
    });
    await ctx.manager.insert(ShipmentRecord, shipment);
    this.logger.log({
      msg: 'shipment scheduled',
      orderId: event.orderId,
      shipmentId: shipment.id,
      eventId: ctx.envelope.id,
      correlationId: ctx.envelope.correlationId,
    });
  }
}
