import { MigrationInterface, QueryRunner } from 'typeorm';

/** The trace context of the event an email was queued for: its SMTP send joins that trace. */
export class AddEmailTraceparent1764000000303 implements MigrationInterface {
  name = 'AddEmailTraceparent1764000000303';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE outgoing_emails ADD COLUMN traceparent varchar(55)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE outgoing_emails DROP COLUMN traceparent');
  }
}
