import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The outbox table. `id`, `aggregatetype`, `aggregateid`, `type` and `payload` are the
 * columns Debezium's Outbox Event Router reads by default, so a team can switch from this
 * relay to CDC without a migration. The other columns belong to this relay.
 */
export class CreateOutboxTable1764000000000 implements MigrationInterface {
  name = 'CreateOutboxTable1764000000000';

  async up(q: QueryRunner): Promise<void> {
    // Rows are inserted, updated once and deleted soon after: vacuum early and often.
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
        next_attempt_at timestamptz,
        last_error      text,
        parked_at       timestamptz
      ) WITH (autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_threshold = 1000,
              autovacuum_vacuum_insert_scale_factor = 0.01)`);
    // What the relay scans: only unpublished rows, so the index is as small as the backlog.
    await q.query('CREATE INDEX outbox_pending_idx ON outbox (seq) WHERE published_at IS NULL');
    // Rows that failed at least once: usually none; they hold back their aggregate only.
    await q.query(
      'CREATE INDEX outbox_failing_idx ON outbox (aggregatetype, aggregateid, seq) WHERE published_at IS NULL AND attempts > 0',
    );
    // Retention deletes published rows oldest first.
    await q.query('CREATE INDEX outbox_published_idx ON outbox (published_at) WHERE published_at IS NOT NULL');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE outbox');
  }
}
