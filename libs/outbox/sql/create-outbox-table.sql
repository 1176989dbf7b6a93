-- The outbox table ("public"."outbox"). Generated from createOutboxTableSql() in
-- libs/outbox/src/migration/create-outbox-table.ts (libs/outbox/sql/generate-sql.ts): do not edit.
-- The sequence behind seq must stay uncached (the identity default): see the README, "the scan frontier".

-- id, aggregatetype, aggregateid, type and payload are the columns Debezium's Outbox Event
-- Router reads by default, so a team can switch from this relay to CDC without a migration;
-- the other columns belong to the relay. Rows are inserted, updated once and deleted soon
-- after: vacuum early and often.
CREATE TABLE "public"."outbox" (
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
        autovacuum_vacuum_insert_scale_factor = 0.01);

-- What the relay scans: only unpublished rows, so the index is as small as the backlog.
CREATE INDEX "outbox_pending_idx" ON "public"."outbox" (seq) WHERE published_at IS NULL;

-- Rows that failed at least once: usually none; they hold back their aggregate only.
CREATE INDEX "outbox_failing_idx" ON "public"."outbox" (aggregatetype, aggregateid, seq)
  WHERE published_at IS NULL AND attempts > 0;

-- Retention deletes published rows oldest first.
CREATE INDEX "outbox_published_idx" ON "public"."outbox" (published_at) WHERE published_at IS NOT NULL;
