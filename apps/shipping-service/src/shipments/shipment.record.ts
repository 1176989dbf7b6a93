import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';
import { ShipmentStatus } from './domain/shipment';

@Entity({ name: 'shipments' })
export class ShipmentRecord {
  @PrimaryColumn('uuid')
  id!: string;

  /** Unique: one shipment per order, whatever the broker redelivers. */
  @Column({ name: 'order_id', type: 'uuid', unique: true })
  orderId!: string;

  @Column({ type: 'varchar', length: 20 })
  status!: ShipmentStatus;

  @Column({ name: 'item_count', type: 'integer' })
  itemCount!: number;

  @Column({ name: 'shipping_address', type: 'jsonb' })
  shippingAddress!: Record<string, string>;

  @Column({ type: 'varchar', length: 50, nullable: true })
  carrier!: string | null;

  @Column({ name: 'tracking_number', type: 'varchar', length: 50, nullable: true })
  trackingNumber!: string | null;

  @Column({ name: 'dispatched_at', type: 'timestamptz', nullable: true })
  dispatchedAt!: Date | null;

  @Column({ name: 'cancelled_at', type: 'timestamptz', nullable: true })
  cancelledAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
