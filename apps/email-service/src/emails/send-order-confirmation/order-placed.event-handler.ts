import { Controller, Logger } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { orderPlacedV1, OrderPlacedV1 } from '@shop/contracts';
import { InboxContext } from '@transactional-outbox/inbox/nest';
import { EmailQueue } from '../delivery/email-queue';
import { OrderContactRecord } from '../order-contact.record';
import { renderOrderConfirmation } from './order-confirmation.template';

@Controller()
export class OrderPlacedEventHandler {
  private readonly logger = new Logger(OrderPlacedEventHandler.name);

  constructor(private readonly emails: EmailQueue) {}

  /** Records the confirmation and the contact, and releases notices that waited for it, with the inbox row. */
  @EventPattern(orderPlacedV1.type)
  async handle(@Payload() order: OrderPlacedV1, @Ctx() ctx: InboxContext): Promise<void> {
    await ctx.manager.upsert(OrderContactRecord, { orderId: order.orderId, contactEmail: order.contactEmail }, [
      'orderId',
    ]);
    await this.emails.enqueue(ctx, {
      kind: 'order-confirmation',
      orderId: order.orderId,
      recipient: order.contactEmail,
      content: renderOrderConfirmation(order),
    });
    const released = await this.emails.releaseWaiting(ctx, order.orderId, order.contactEmail);
    this.logger.log({
      msg: 'order confirmation queued',
      releasedWaitingEmails: released,
      orderId: order.orderId,
      eventId: ctx.envelope.id,
      correlationId: ctx.envelope.correlationId,
    });
  }
}
