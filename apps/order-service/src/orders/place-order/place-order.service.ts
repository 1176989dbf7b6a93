import { ConflictException, Injectable, Logger } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { DataSource } from 'typeorm';
import { Outbox } from '@transactional-outbox/outbox';
import { Order, placeOrder } from '../domain/order';
import { toIntegrationEvent } from '../order-events.mapper';
import { IdempotencyKeyRecord, OrderRecord } from '../order.record';
import { PlaceOrderRequest } from './place-order.request';

export interface RequestContext {
  correlationId: string;
  /** Extra Kafka headers for the events, e.g. a W3C traceparent. */
  headers?: Record<string, string>;
  idempotencyKey?: string;
}

/** Thrown inside the transaction to roll it back when the key was used before. */
class KeyAlreadyUsed extends Error {}

@Injectable()
export class PlaceOrderService {
  private readonly logger = new Logger(PlaceOrderService.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: Outbox,
  ) {}

  /**
   * The order row, its outbox row and the idempotency key commit together, or none does.
   * Returns `created: false` when the same key and body were seen before.
   */
  async placeOrder(request: PlaceOrderRequest, context: RequestContext): Promise<{ order: Order; created: boolean }> {
    const { order, events } = placeOrder({
      customerId: request.customerId,
      contactEmail: request.contactEmail,
      currency: request.currency,
      lines: request.items,
      shippingAddress: request.shippingAddress,
    });
    const requestHash = createHash('sha256').update(JSON.stringify(request)).digest('hex');
    try {
      await this.dataSource.transaction(async (manager) => {
        await manager.insert(OrderRecord, order);
        if (context.idempotencyKey) {
          // A concurrent request with the same key waits here until the first commits.
          const inserted: unknown[] = await manager.query(
            `INSERT INTO idempotency_keys (key, request_hash, order_id) VALUES ($1, $2, $3)
             ON CONFLICT (key) DO NOTHING RETURNING key`,
            [context.idempotencyKey, requestHash, order.id],
          );
          if (inserted.length === 0) throw new KeyAlreadyUsed();
        }
        const integrationEvents = events.map((e) => toIntegrationEvent(e, { correlationId: context.correlationId }));
        await this.outbox.add(integrationEvents, manager, { headers: context.headers });
      });
      this.logger.log({ msg: 'order placed', orderId: order.id, totalCents: order.totalCents });
      return { order, created: true };
    } catch (err) {
      if (!(err instanceof KeyAlreadyUsed)) throw err;
      return { order: await this.replay(context.idempotencyKey as string, requestHash), created: false };
    }
  }

  private async replay(key: string, requestHash: string): Promise<Order> {
    const previous = await this.dataSource.getRepository(IdempotencyKeyRecord).findOneByOrFail({ key });
    if (previous.requestHash !== requestHash) {
      throw new ConflictException('Idempotency-Key was already used with a different request body');
    }
    return this.dataSource.getRepository(OrderRecord).findOneByOrFail({ id: previous.orderId });
  }
}
