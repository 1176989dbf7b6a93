import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateShipments1764000000200 implements MigrationInterface {
  name = 'CreateShipments1764000000200';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE shipments (
        id               uuid PRIMARY KEY,
        order_id         uuid NOT NULL UNIQUE,
        status           varchar(20) NOT NULL CHECK (status IN ('SCHEDULED', 'DISPATCHED', 'CANCELLED')),
        item_count       integer NOT NULL,
        shipping_address jsonb NOT NULL,
        carrier          varchar(50),
        tracking_number  varchar(50),
        dispatched_at    timestamptz,
        cancelled_at     timestamptz,
        created_at       timestamptz NOT NULL DEFAULT now(),
        CHECK (status <> 'DISPATCHED' OR tracking_number IS NOT NULL)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE shipments');
  }
}
