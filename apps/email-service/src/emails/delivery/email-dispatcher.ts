import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Transporter } from 'nodemailer';
import { failpoint } from '@shop/service-kit';
import { DataSource } from 'typeorm';
import { EMAIL_CONFIG } from '../emails.tokens';
import { EmailServiceConfig } from '../../config';
import { OutgoingEmailRecord } from '../outgoing-email.record';
import { MAIL_TRANSPORT } from './mail-transport';

/**
 * Sends PENDING emails after their transaction committed, one row per transaction:
 * claim (FOR UPDATE SKIP LOCKED), send over SMTP, mark SENT, commit. EMAIL_SEND_CONCURRENCY
 * senders run this loop side by side; SKIP LOCKED keeps them off each other's rows. A crash after the
 * SMTP server accepted a message and before the commit resends it once, with the same
 * Message-ID, which lets the receiving side drop the copy.
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
    let sent: OutgoingEmailRecord | undefined;
    try {
      return await this.claimSendAndMark((email) => (sent = email));
    } catch (err) {
      // The SMTP server accepted the email but the transaction that marks it SENT was lost
      // (its session was killed): mark it on a fresh connection rather than send it again.
      if (sent) await this.markSentAfterLostTransaction(sent);
      throw err;
    }
  }

  private async markSentAfterLostTransaction(email: OutgoingEmailRecord): Promise<void> {
    for (let attempt = 1; attempt <= 10; attempt++) {
      try {
        await this.dataSource
          .getRepository(OutgoingEmailRecord)
          .update(
            { id: email.id, status: 'PENDING' },
            { status: 'SENT', sentAt: new Date(), attempts: email.attempts + 1 },
          );
        this.logger.warn({
          msg: 'email marked sent after its transaction was lost',
          kind: email.kind,
          orderId: email.orderId,
        });
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 500 * attempt));
      }
    }
  }

  private async claimSendAndMark(onSent: (email: OutgoingEmailRecord) => void): Promise<boolean> {
    return this.dataSource.transaction(async (manager) => {
      const email = await manager
        .getRepository(OutgoingEmailRecord)
        .createQueryBuilder('e')
        .where("e.status = 'PENDING'")
        .orderBy('e.created_at')
        .limit(1)
        .setLock('pessimistic_write')
        .setOnLocked('skip_locked')
        .getOne();
      if (!email) return false;
      await this.transport.sendMail({
        from: this.config.MAIL_FROM,
        to: email.recipient,
        subject: email.subject,
        text: email.textBody,
        html: email.htmlBody,
        messageId: `<${email.messageId}>`,
      });
      onSent(email);
      failpoint(this.config.FAILPOINT, 'email-after-send')?.();
      await manager.update(OutgoingEmailRecord, email.id, {
        status: 'SENT',
        sentAt: new Date(),
        attempts: email.attempts + 1,
      });
      this.logger.log({
        msg: 'email sent',
        kind: email.kind,
        orderId: email.orderId,
        eventId: email.eventId,
        messageId: email.messageId,
      });
      return true;
    });
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
          error: err instanceof Error ? err.message : String(err),
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
