import { Controller, Logger } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { orderPlacedV1, OrderPlacedV1 } from '@shop/contracts';
import { InboxContext } from '@transactional-outbox/inbox/nest';
import { scheduleShipment } from '../domain/shipment';

@Controller()
export class OrderPlacedEventHandler {
  private readonly logger = new Logger(OrderPlacedEventHandler.name);

  /** Runs inside the inbox transaction: the shipment and the inbox row commit together. */
  @EventPattern(orderPlacedV1.type)
  async handle(@Payload() event: OrderPlacedV1, @Ctx() ctx: InboxContext): Promise<void> {
    const s = scheduleShipment(
      event.orderId,
      event.items.reduce((n, i) => n + i.quantity, 0),
      event.shippingAddress,
    );
    // A cancellation that arrived first left a tombstone for this order: schedule nothing.
    const inserted: unknown[] = await ctx.manager.query(
      `INSERT INTO shipments (id, order_id, status, item_count, shipping_address)
       VALUES ($1, $2, $3, $4, $5) ON CONFLICT (order_id) DO NOTHING RETURNING id`,
      [s.id, s.orderId, s.status, s.itemCount, JSON.stringify(s.shippingAddress)],
    );
    this.logger.log({
      msg:
        inserted.length > 0 ? 'shipment scheduled' : 'order was cancelled before it was placed here; nothing scheduled',
      orderId: event.orderId,
      shipmentId: inserted.length > 0 ? s.id : undefined,
      eventId: ctx.envelope.id,
      correlationId: ctx.envelope.correlationId,
    });
  }
}
