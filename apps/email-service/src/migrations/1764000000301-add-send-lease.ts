import { MigrationInterface, QueryRunner } from 'typeorm';

/** A sender leases an email before the SMTP send, so no other sender takes it meanwhile. */
export class AddSendLease1764000000301 implements MigrationInterface {
  name = 'AddSendLease1764000000301';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE outgoing_emails ADD COLUMN claimed_until timestamptz');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE outgoing_emails DROP COLUMN claimed_until');
  }
}
