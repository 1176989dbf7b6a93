import { Controller, Logger } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { shipmentDispatchedV1, ShipmentDispatchedV1 } from '@shop/contracts';
import { InboxContext } from '@transactional-outbox/inbox/nest';
import { EmailQueue } from '../delivery/email-queue';
import { OrderContactRecord } from '../order-contact.record';
import { renderShippedNotice } from './shipped-notice.template';

@Controller()
export class ShipmentDispatchedEventHandler {
  private readonly logger = new Logger(ShipmentDispatchedEventHandler.name);

  constructor(private readonly emails: EmailQueue) {}

  @EventPattern(shipmentDispatchedV1.type)
  async handle(@Payload() shipment: ShipmentDispatchedV1, @Ctx() ctx: InboxContext): Promise<void> {
    const contact = await ctx.manager.findOneBy(OrderContactRecord, { orderId: shipment.orderId });
    const email = {
      kind: 'shipped-notice' as const,
      orderId: shipment.orderId,
      content: renderShippedNotice(shipment),
    };
    // The order's placement comes on another topic and may not be here yet: the notice
    // waits for it (OrderPlacedEventHandler releases it) instead of failing into a retry.
    if (contact) await this.emails.enqueue(ctx, { ...email, recipient: contact.contactEmail });
    else await this.emails.enqueueWaiting(ctx, email);
    this.logger.log({
      msg: contact ? 'shipped notice queued' : 'shipped notice waits for the order placement',
      orderId: shipment.orderId,
      eventId: ctx.envelope.id,
      correlationId: ctx.envelope.correlationId,
    });
  }
}
