-- Generated from inboxTableDdl() in libs/inbox/src/inbox-table.ts; do not edit.
CREATE TABLE "public"."inbox" (
  consumer    varchar(200) NOT NULL,
  event_id    uuid NOT NULL,
  type        varchar(255) NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer, event_id)
);

CREATE INDEX "inbox_received_at_idx" ON "public"."inbox" (received_at);
