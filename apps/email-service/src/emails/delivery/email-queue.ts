import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { InboxContext } from '@transactional-outbox/inbox/nest';
import { EmailServiceConfig } from '../../config';
import { EMAIL_CONFIG } from '../emails.tokens';
import { EmailKind, EmailStatus, OutgoingEmailRecord } from '../outgoing-email.record';
import { EmailDispatcher } from './email-dispatcher';
import { activeTraceparent } from './email-trace';

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

interface QueuedEmail {
  kind: EmailKind;
  orderId: string;
  content: RenderedEmail;
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

  async enqueue(ctx: InboxContext, email: QueuedEmail & { recipient: string }) {
    await this.insert(ctx, email, 'PENDING');
    ctx.afterCommit(() => this.dispatcher.wake());
  }

  /**
   * An email whose recipient comes with another event, on another topic that may lag
   * behind: it waits in the database, not in a retry loop that would end in the
   * dead-letter topic, until `releaseWaiting` gives it its recipient.
   */
  async enqueueWaiting(ctx: InboxContext, email: QueuedEmail) {
    await this.insert(ctx, { ...email, recipient: null }, 'WAITING');
  }

  /** The order's recipient is known now: its waiting emails become sendable. Returns how many. */
  async releaseWaiting(ctx: InboxContext, orderId: string, recipient: string): Promise<number> {
    const result = await ctx.manager.update(
      OutgoingEmailRecord,
      { orderId, status: 'WAITING' },
      { recipient, status: 'PENDING' },
    );
    const released = result.affected ?? 0;
    if (released > 0) ctx.afterCommit(() => this.dispatcher.wake());
    return released;
  }

  private async insert(ctx: InboxContext, email: QueuedEmail & { recipient: string | null }, status: EmailStatus) {
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
      status,
      traceparent: activeTraceparent(),
    });
  }
}
