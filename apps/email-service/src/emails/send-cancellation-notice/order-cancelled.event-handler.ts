import { Controller, Logger } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { orderCancelledV1, OrderCancelledV1 } from '@shop/contracts';
import { InboxContext } from '@transactional-outbox/inbox/nest';
import { EmailQueue } from '../delivery/email-queue';
import { renderCancellationNotice } from './cancellation-notice.template';

@Controller()
export class OrderCancelledEventHandler {
  private readonly logger = new Logger(OrderCancelledEventHandler.name);

  constructor(private readonly emails: EmailQueue) {}

  @EventPattern(orderCancelledV1.type)
  async handle(@Payload() cancelled: OrderCancelledV1, @Ctx() ctx: InboxContext): Promise<void> {
    await this.emails.enqueue(ctx, {
      kind: 'cancellation-notice',
      orderId: cancelled.orderId,
      recipient: cancelled.contactEmail,
      content: renderCancellationNotice(cancelled),
    });
    this.logger.log({
      msg: 'cancellation notice queued',
      orderId: cancelled.orderId,
      eventId: ctx.envelope.id,
      correlationId: ctx.envelope.correlationId,
    });
  }
}
