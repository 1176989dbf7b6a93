import { Column, Entity, PrimaryColumn } from 'typeorm';
import { OrderLine, OrderStatus, ShippingAddress } from './domain/order';

/** How an order is stored; the domain type stays free of persistence concerns. */
@Entity({ name: 'orders' })
export class OrderRecord {
  @PrimaryColumn('uuid')
  id!: string;

  @Column({ name: 'customer_id', type: 'varchar', length: 100 })
  customerId!: string;

  @Column({ name: 'contact_email', type: 'varchar', length: 320 })
  contactEmail!: string;

  @Column({ type: 'varchar', length: 20 })
  status!: OrderStatus;

  @Column({ type: 'jsonb' })
  lines!: OrderLine[];

  @Column({
    name: 'total_cents',
    type: 'bigint',
    transformer: { to: (v: number) => v, from: (v: string) => Number(v) },
  })
  totalCents!: number;

  @Column({ type: 'char', length: 3 })
  currency!: string;

  @Column({ name: 'shipping_address', type: 'jsonb' })
  shippingAddress!: ShippingAddress;

  @Column({ name: 'placed_at', type: 'timestamptz' })
  placedAt!: Date;
}
