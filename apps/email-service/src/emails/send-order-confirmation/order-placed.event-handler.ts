import { Controller, Inject, Logger, UseFilters } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { randomUUID } from 'node:crypto';
import { orderPlacedV1, OrderPlacedV1 } from '@shop/contracts';
import { InboxContext, InboxExceptionFilter } from '@shop/inbox';
import { EmailServiceConfig } from '../../config';
import { EmailDispatcher } from '../delivery/email-dispatcher';
import { EMAIL_CONFIG } from '../emails.tokens';
import { OutgoingEmailRecord } from '../outgoing-email.record';
import { renderOrderConfirmation } from './order-confirmation.template';

@Controller()
@UseFilters(InboxExceptionFilter)
export class OrderPlacedEventHandler {
  private readonly logger = new Logger(OrderPlacedEventHandler.name);

  constructor(
    private readonly dispatcher: EmailDispatcher,
    @Inject(EMAIL_CONFIG) private readonly config: EmailServiceConfig,
  ) {}

  /** Records the email with the inbox row; the dispatcher sends it after commit. */
  @EventPattern(orderPlacedV1.type)
  async handle(@Payload() order: OrderPlacedV1, @Ctx() ctx: InboxContext): Promise<void> {
    const { subject, text, html } = renderOrderConfirmation(order);
    const eventId = ctx.envelope.id;
    await ctx.manager.insert(OutgoingEmailRecord, {
      id: randomUUID(),
      eventId,
      kind: 'order-confirmation',
      orderId: order.orderId,
      messageId: `${eventId}.order-confirmation@${this.config.MAIL_MESSAGE_ID_DOMAIN}`,
      recipient: order.contactEmail,
      subject,
      textBody: text,
      htmlBody: html,
    });
    ctx.afterCommit(() => this.dispatcher.wake());
    this.logger.log({
      msg: 'order confirmation queued',
      orderId: order.orderId,
      eventId,
      correlationId: ctx.envelope.correlationId,
    });
  }
}
