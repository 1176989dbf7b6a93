import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateOrders1764000000100 implements MigrationInterface {
  name = 'CreateOrders1764000000100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE orders (
        id               uuid PRIMARY KEY,
        customer_id      varchar(100) NOT NULL,
        contact_email    varchar(320) NOT NULL,
        status           varchar(20) NOT NULL,
        lines            jsonb NOT NULL,
        total_cents      bigint NOT NULL CHECK (total_cents >= 0),
        currency         char(3) NOT NULL,
        shipping_address jsonb NOT NULL,
        placed_at        timestamptz NOT NULL
      )`);
    await q.query('CREATE INDEX orders_customer_idx ON orders (customer_id, placed_at DESC)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE orders');
  }
}
