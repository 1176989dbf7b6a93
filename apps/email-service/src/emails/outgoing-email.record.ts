import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

export type EmailKind = 'order-confirmation' | 'shipped-notice' | 'cancellation-notice';
/** WAITING: the recipient is not known yet (see EmailQueue.enqueueWaiting). */
export type EmailStatus = 'WAITING' | 'PENDING' | 'SENT';

/**
 * An email the service intends to send. It is written in the same transaction as the
 * inbox row and sent after commit, so a crash can never lose it; `messageId` is derived
 * from the event id, so a resend after a crash carries the same Message-ID.
 */
@Entity({ name: 'outgoing_emails' })
export class OutgoingEmailRecord {
  @PrimaryColumn('uuid')
  id!: string;

  @Column({ name: 'event_id', type: 'uuid' })
  eventId!: string;

  @Column({ type: 'varchar', length: 50 })
  kind!: EmailKind;

  @Column({ name: 'order_id', type: 'uuid' })
  orderId!: string;

  @Column({ name: 'message_id', type: 'varchar', length: 255, unique: true })
  messageId!: string;

  @Column({ type: 'varchar', length: 320, nullable: true })
  recipient!: string | null;

  @Column({ type: 'varchar', length: 255 })
  subject!: string;

  @Column({ name: 'text_body', type: 'text' })
  textBody!: string;

  @Column({ name: 'html_body', type: 'text' })
  htmlBody!: string;

  @Column({ type: 'varchar', length: 10, default: 'PENDING' })
  status!: EmailStatus;

  @Column({ type: 'integer', default: 0 })
  attempts!: number;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'sent_at', type: 'timestamptz', nullable: true })
  sentAt!: Date | null;

  /** The W3C trace context of the handling that queued it; its SMTP send continues that trace. */
  @Column({ type: 'varchar', length: 55, nullable: true })
  traceparent!: string | null;

  /** While in the future, one sender holds the email; it is sending it or has just sent it. */
  @Column({ name: 'claimed_until', type: 'timestamptz', nullable: true })
  claimedUntil!: Date | null;
}
