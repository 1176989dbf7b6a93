import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A notice whose recipient is not known yet (the order's placement, on another topic, has
 * not arrived) waits as WAITING without a recipient, and becomes PENDING when it arrives.
 */
export class ShippedNoticeWaitsForContact1764000000302 implements MigrationInterface {
  name = 'ShippedNoticeWaitsForContact1764000000302';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE outgoing_emails ALTER COLUMN recipient DROP NOT NULL');
    await q.query(`
      ALTER TABLE outgoing_emails ADD CONSTRAINT outgoing_emails_recipient_known
        CHECK (recipient IS NOT NULL OR status = 'WAITING')`);
    await q.query(`CREATE INDEX outgoing_emails_waiting_idx ON outgoing_emails (order_id) WHERE status = 'WAITING'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX outgoing_emails_waiting_idx');
    await q.query(`DELETE FROM outgoing_emails WHERE status = 'WAITING'`);
    await q.query('ALTER TABLE outgoing_emails DROP CONSTRAINT outgoing_emails_recipient_known');
    await q.query('ALTER TABLE outgoing_emails ALTER COLUMN recipient SET NOT NULL');
  }
}
