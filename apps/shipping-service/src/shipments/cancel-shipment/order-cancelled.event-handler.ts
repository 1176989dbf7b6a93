import { Controller, Logger } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { orderCancelledV1, OrderCancelledV1 } from '@shop/contracts';
import { InboxContext } from '@transactional-outbox/inbox/nest';
import { cancelledBeforeScheduled, cancelShipment } from '../domain/shipment';
import { ShipmentRecord } from '../shipment.record';

@Controller()
export class OrderCancelledEventHandler {
  private readonly logger = new Logger(OrderCancelledEventHandler.name);

  @EventPattern(orderCancelledV1.type)
  async handle(@Payload() event: OrderCancelledV1, @Ctx() ctx: InboxContext): Promise<void> {
    const current = await ctx.manager.findOne(ShipmentRecord, {
      where: { orderId: event.orderId },
      lock: { mode: 'pessimistic_write' },
    });
    const meta = { orderId: event.orderId, eventId: ctx.envelope.id, correlationId: ctx.envelope.correlationId };
    if (!current) {
      await ctx.manager.insert(ShipmentRecord, cancelledBeforeScheduled(event.orderId));
      this.logger.log({ msg: 'cancellation arrived before the order; tombstone recorded', ...meta });
      return;
    }
    const updated = cancelShipment(current);
    if (updated.status !== current.status) {
      await ctx.manager.update(ShipmentRecord, current.id, {
        status: updated.status,
        cancelledAt: updated.cancelledAt,
      });
    }
    this.logger.log({
      msg: `shipment ${updated.status === 'CANCELLED' ? 'cancelled' : 'already ' + updated.status}`,
      shipmentId: current.id,
      ...meta,
    });
  }
}
