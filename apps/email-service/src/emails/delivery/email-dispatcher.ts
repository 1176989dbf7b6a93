import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Transporter } from 'nodemailer';
import { failpoint } from '@shop/service-kit';
import { DataSource } from 'typeorm';
import { EMAIL_CONFIG } from '../emails.tokens';
import { EmailServiceConfig } from '../../config';
import { EmailKind } from '../outgoing-email.record';
import { inSendSpan } from './email-trace';
import { MAIL_TRANSPORT } from './mail-transport';

interface LeasedEmail {
  id: string;
  kind: EmailKind;
  orderId: string;
  eventId: string;
  messageId: string;
  recipient: string;
  subject: string;
  textBody: string;
  htmlBody: string;
  traceparent: string | null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
// SMTP errors quote the rejected recipient; logs never carry addresses.
const withoutAddresses = (message: string) => message.replace(/[^\s<>@"']+@[^\s<>"']+/g, '<address>');

/**
 * Sends PENDING emails after their transaction committed: lease one (a single UPDATE,
 * FOR UPDATE SKIP LOCKED), send it over SMTP, mark it SENT. EMAIL_SEND_CONCURRENCY senders
 * run this loop side by side. The lease, not an open transaction, keeps other senders off
 * an email between the send and the mark, so a lost session or a database restart there
 * does not send it twice; only a sender that dies there does, with the same Message-ID.
 */
@Injectable()
export class EmailDispatcher implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(EmailDispatcher.name);
  private running = false;
  private senders: Promise<void>[] = [];
  private readonly sleepers = new Set<() => void>();

  constructor(
    private readonly dataSource: DataSource,
    @Inject(MAIL_TRANSPORT) private readonly transport: Transporter,
    @Inject(EMAIL_CONFIG) private readonly config: EmailServiceConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.running = true;
    this.senders = Array.from({ length: this.config.EMAIL_SEND_CONCURRENCY }, () => this.run());
  }

  async onApplicationShutdown(): Promise<void> {
    this.running = false;
    this.wake();
    await Promise.all(this.senders);
    this.transport.close();
  }

  wake(): void {
    for (const wakeUp of this.sleepers) wakeUp();
  }

  /** Sends one pending email, if any. Returns whether one was sent. */
  async sendNext(): Promise<boolean> {
    const leasedAt = Date.now();
    const email = await this.lease();
    if (!email) return false;
    try {
      await inSendSpan(email, () =>
        this.transport.sendMail({
          from: this.config.MAIL_FROM,
          to: email.recipient,
          subject: email.subject,
          text: email.textBody,
          html: email.htmlBody,
          messageId: `<${email.messageId}>`,
        }),
      );
    } catch (err) {
      await this.release(email, err).catch(() => undefined); // else the lease expires
      throw err;
    }
    failpoint(this.config.FAILPOINT, 'email-after-send')?.();
    await this.markSent(email, leasedAt + this.config.EMAIL_SEND_LEASE_MS);
    this.logger.log({
      msg: 'email sent',
      kind: email.kind,
      orderId: email.orderId,
      eventId: email.eventId,
      messageId: email.messageId,
    });
    return true;
  }

  private async lease(): Promise<LeasedEmail | undefined> {
    const [email] = (await this.dataSource.query(
      `WITH leased AS (
         UPDATE outgoing_emails SET claimed_until = now() + make_interval(secs => $1), attempts = attempts + 1
          WHERE id = (SELECT id FROM outgoing_emails
                       WHERE status = 'PENDING' AND (claimed_until IS NULL OR claimed_until < now())
                       ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED)
          RETURNING *)
       SELECT id, kind, order_id AS "orderId", event_id AS "eventId", message_id AS "messageId", recipient,
              subject, text_body AS "textBody", html_body AS "htmlBody", traceparent
         FROM leased`,
      [this.config.EMAIL_SEND_LEASE_MS / 1000],
    )) as LeasedEmail[];
    return email;
  }

  /** Records SENT, retrying on fresh connections until shortly before the lease ends. */
  private async markSent(email: LeasedEmail, leaseEndsAt: number): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.dataSource.query(
          `UPDATE outgoing_emails SET status = 'SENT', sent_at = now(), claimed_until = NULL, last_error = NULL
            WHERE id = $1`,
          [email.id],
        );
        return;
      } catch (err) {
        const wait = Math.min(5000, 250 * 2 ** attempt);
        if (Date.now() + wait > leaseEndsAt - 2000) throw err; // another sender may take it now
        this.logger.warn({ msg: 'sent email not marked yet; retrying', kind: email.kind, orderId: email.orderId });
        await sleep(wait);
      }
    }
  }

  private async release(email: LeasedEmail, err: unknown): Promise<void> {
    await this.dataSource.query('UPDATE outgoing_emails SET claimed_until = NULL, last_error = $2 WHERE id = $1', [
      email.id,
      (err instanceof Error ? err.message : String(err)).slice(0, 500),
    ]);
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (this.running) {
      try {
        if (await this.sendNext()) {
          failures = 0;
          continue;
        }
      } catch (err) {
        failures += 1;
        this.logger.warn({
          msg: 'email could not be sent; will retry',
          error: withoutAddresses(err instanceof Error ? err.message : String(err)),
          failures,
        });
      }
      const backoff = failures > 0 ? Math.min(30_000, 500 * 2 ** (failures - 1)) : this.config.EMAIL_POLL_INTERVAL_MS;
      await new Promise<void>((resolve) => {
        const wakeUp = () => {
          clearTimeout(timer);
          this.sleepers.delete(wakeUp);
          resolve();
        };
        const timer = setTimeout(wakeUp, backoff);
        this.sleepers.add(wakeUp);
      });
    }
  }
}
