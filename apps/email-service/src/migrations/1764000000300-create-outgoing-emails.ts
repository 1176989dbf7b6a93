import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateOutgoingEmails1764000000300 implements MigrationInterface {
  name = 'CreateOutgoingEmails1764000000300';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE outgoing_emails (
        id          uuid PRIMARY KEY,
        event_id    uuid NOT NULL,
        kind        varchar(50) NOT NULL,
        order_id    uuid NOT NULL,
        message_id  varchar(255) NOT NULL UNIQUE,
        recipient   varchar(320) NOT NULL,
        subject     varchar(255) NOT NULL,
        text_body   text NOT NULL,
        html_body   text NOT NULL,
        status      varchar(10) NOT NULL DEFAULT 'PENDING',
        attempts    integer NOT NULL DEFAULT 0,
        last_error  text,
        created_at  timestamptz NOT NULL DEFAULT now(),
        sent_at     timestamptz,
        UNIQUE (event_id, kind)
      )`);
    await q.query(`CREATE INDEX outgoing_emails_pending_idx ON outgoing_emails (created_at) WHERE status = 'PENDING'`);
    await q.query('CREATE INDEX outgoing_emails_order_idx ON outgoing_emails (order_id)');
    await q.query(`
      CREATE TABLE order_contacts (
        order_id      uuid PRIMARY KEY,
        contact_email varchar(320) NOT NULL
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE order_contacts');
    await q.query('DROP TABLE outgoing_emails');
  }
}
