import { MigrationInterface, QueryRunner } from 'typeorm';

/** One row per (consumer, event) handled: the dedup record, written with the side effect. */
export class CreateInboxTable1764000000001 implements MigrationInterface {
  name = 'CreateInboxTable1764000000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE inbox (
        consumer    varchar(200) NOT NULL,
        event_id    uuid NOT NULL,
        type        varchar(255) NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (consumer, event_id)
      )`);
    await q.query('CREATE INDEX inbox_received_at_idx ON inbox (received_at)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE inbox');
  }
}
