import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateOrders1764000000100 implements MigrationInterface {
  name = 'CreateOrders1764000000100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE orders (
        id               uuid PRIMARY KEY,
        customer_id      varchar(100) NOT NULL,
        contact_email    varchar(320) NOT NULL,
        status           varchar(20) NOT NULL CHECK (status IN ('PLACED', 'DISPATCHED', 'CANCELLED')),
        lines            jsonb NOT NULL,
        total_cents      bigint NOT NULL CHECK (total_cents >= 0),
        currency         char(3) NOT NULL,
        shipping_address jsonb NOT NULL,
        placed_at        timestamptz NOT NULL,
        cancelled_at     timestamptz,
        cancel_reason    varchar(200),
        dispatched_at    timestamptz
      )`);
    await q.query('CREATE INDEX orders_customer_idx ON orders (customer_id, placed_at DESC)');
    await q.query('CREATE INDEX orders_status_idx ON orders (status, placed_at DESC)');
    await q.query(`
      CREATE TABLE idempotency_keys (
        key          varchar(100) PRIMARY KEY,
        request_hash char(64) NOT NULL,
        order_id     uuid NOT NULL REFERENCES orders (id),
        created_at   timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE idempotency_keys');
    await q.query('DROP TABLE orders');
  }
}
