import { Controller, Logger, UseFilters } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { shipmentDispatchedV1, ShipmentDispatchedV1 } from '@shop/contracts';
import { InboxContext, InboxExceptionFilter } from '@shop/inbox';
import { EmailQueue } from '../delivery/email-queue';
import { OrderContactRecord } from '../order-contact.record';
import { renderShippedNotice } from './shipped-notice.template';

@Controller()
@UseFilters(InboxExceptionFilter)
export class ShipmentDispatchedEventHandler {
  private readonly logger = new Logger(ShipmentDispatchedEventHandler.name);

  constructor(private readonly emails: EmailQueue) {}

  @EventPattern(shipmentDispatchedV1.type)
  async handle(@Payload() shipment: ShipmentDispatchedV1, @Ctx() ctx: InboxContext): Promise<void> {
    const contact = await ctx.manager.findOneBy(OrderContactRecord, { orderId: shipment.orderId });
    // The order's placement (another topic) has not arrived yet: fail, so the inbox retries.
    if (!contact) throw new Error(`no contact known yet for order ${shipment.orderId}`);
    await this.emails.enqueue(ctx, {
      kind: 'shipped-notice',
      orderId: shipment.orderId,
      recipient: contact.contactEmail,
      content: renderShippedNotice(shipment),
    });
    this.logger.log({
      msg: 'shipped notice queued',
      orderId: shipment.orderId,
      eventId: ctx.envelope.id,
      correlationId: ctx.envelope.correlationId,
    });
  }
}
