import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

export type ShipmentStatus = 'SCHEDULED';

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

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
