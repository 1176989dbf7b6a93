import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The outbox table. `id`, `aggregatetype`, `aggregateid`, `type` and `payload` are the
 * columns Debezium's Outbox Event Router reads by default, so a team can switch from this
 * relay to CDC without a migration. The other columns belong to this relay.
 */
export class CreateOutboxTable1764000000000 implements MigrationInterface {
  name = 'CreateOutboxTable1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE outbox (
        id              uuid PRIMARY KEY,
        seq             bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
        aggregatetype   varchar(255) NOT NULL,
        aggregateid     varchar(255) NOT NULL,
        type            varchar(255) NOT NULL,
        payload         jsonb NOT NULL,
        headers         jsonb NOT NULL DEFAULT '{}'::jsonb,
        created_at      timestamptz NOT NULL DEFAULT now(),
        published_at    timestamptz,
        attempts        integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        last_error      text
      )`);
    // The relay only ever scans unpublished rows; this index stays as small as the backlog.
    await q.query('CREATE INDEX outbox_pending_idx ON outbox (seq) WHERE published_at IS NULL');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE outbox');
  }
}
