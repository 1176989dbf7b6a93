import { randomBytes, randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { Outbox } from '@transactional-outbox/outbox';
import { orderPlacedEvent, orderRequest } from '../fixtures';

/**
 * The transaction of apps/order-service place-order.service.ts: the order row and,
 * with an outbox, its order.placed.v1 event with a traceparent header. Returns the event id.
 * `aggregateType` replaces the event's, and with it the topic the relays' default routing picks.
 */
export async function placeOrderTransaction(
  ds: DataSource,
  outbox: Outbox | undefined,
  aggregateType?: string,
): Promise<string> {
  const orderId = randomUUID();
  const request = orderRequest('bench-customer');
  const event = { ...orderPlacedEvent(orderId), ...(aggregateType && { aggregateType }) };
  const traceparent = `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`;
  await ds.transaction(async (manager) => {
    await manager.query(
      `INSERT INTO orders (id, customer_id, contact_email, status, lines, total_cents, currency, shipping_address, placed_at)
       VALUES ($1, $2, $3, 'PLACED', $4, $5, $6, $7, $8)`,
      [
        orderId,
        request.customerId,
        request.contactEmail,
        JSON.stringify(request.items),
        4897,
        request.currency,
        JSON.stringify(request.shippingAddress),
        new Date(),
      ],
    );
    if (outbox) await outbox.add(event, manager, { headers: { traceparent } });
  });
  return event.id;
}
