import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Where to write about an order: learnt from order.placed.v1, used for later notices. */
@Entity({ name: 'order_contacts' })
export class OrderContactRecord {
  @PrimaryColumn({ name: 'order_id', type: 'uuid' })
  orderId!: string;

  @Column({ name: 'contact_email', type: 'varchar', length: 320 })
  contactEmail!: string;
}
