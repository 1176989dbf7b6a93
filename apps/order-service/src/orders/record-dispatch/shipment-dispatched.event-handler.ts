import { Controller, Logger } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { shipmentDispatchedV1, ShipmentDispatchedV1 } from '@shop/contracts';
import { InboxContext } from '@transactional-outbox/inbox/nest';
import { recordDispatch } from '../domain/order';
import { OrderRecord } from '../order.record';

@Controller()
export class ShipmentDispatchedEventHandler {
  private readonly logger = new Logger(ShipmentDispatchedEventHandler.name);

  @EventPattern(shipmentDispatchedV1.type)
  async handle(@Payload() event: ShipmentDispatchedV1, @Ctx() ctx: InboxContext): Promise<void> {
    const order = await ctx.manager.findOne(OrderRecord, {
      where: { id: event.orderId },
      lock: { mode: 'pessimistic_write' },
    });
    if (!order) throw new Error(`order ${event.orderId} not found for its dispatch`); // retried, then dead-lettered
    const updated = recordDispatch(order, new Date(event.dispatchedAt));
    if (updated.status !== order.status) {
      await ctx.manager.update(OrderRecord, order.id, { status: updated.status, dispatchedAt: updated.dispatchedAt });
    }
    this.logger.log({
      msg: updated.status === 'DISPATCHED' ? 'order dispatched' : 'dispatch reported for an order that is not open',
      orderId: order.id,
      status: updated.status,
      eventId: ctx.envelope.id,
      correlationId: ctx.envelope.correlationId,
    });
  }
}
