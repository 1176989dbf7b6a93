import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { InboxContext } from '@shop/inbox';
import { EmailServiceConfig } from '../../config';
import { EMAIL_CONFIG } from '../emails.tokens';
import { EmailKind, OutgoingEmailRecord } from '../outgoing-email.record';
import { EmailDispatcher } from './email-dispatcher';

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

/**
 * Records an email in the inbox transaction and wakes the dispatcher after commit. The
 * Message-ID is derived from the event id and the kind, so a resend is recognisable.
 */
@Injectable()
export class EmailQueue {
  constructor(
    private readonly dispatcher: EmailDispatcher,
    @Inject(EMAIL_CONFIG) private readonly config: EmailServiceConfig,
  ) {}

  async enqueue(
    ctx: InboxContext,
    email: { kind: EmailKind; orderId: string; recipient: string; content: RenderedEmail },
  ) {
    const eventId = ctx.envelope.id;
    await ctx.manager.insert(OutgoingEmailRecord, {
      id: randomUUID(),
      eventId,
      kind: email.kind,
      orderId: email.orderId,
      messageId: `${eventId}.${email.kind}@${this.config.MAIL_MESSAGE_ID_DOMAIN}`,
      recipient: email.recipient,
      subject: email.content.subject,
      textBody: email.content.text,
      htmlBody: email.content.html,
    });
    ctx.afterCommit(() => this.dispatcher.wake());
  }
}
