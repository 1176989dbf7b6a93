import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Outbox } from '@transactional-outbox/outbox';
import { cancelOrder, Order, OrderRuleError } from '../domain/order';
import { toIntegrationEvent } from '../order-events.mapper';
import { OrderRecord } from '../order.record';

@Injectable()
export class CancelOrderService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: Outbox,
  ) {}

  /** Locks the order row so a concurrent cancel or dispatch report waits its turn. */
  async cancel(orderId: string, reason: string, correlationId: string): Promise<Order> {
    return this.dataSource.transaction(async (manager) => {
      const current = await manager.findOne(OrderRecord, {
        where: { id: orderId },
        lock: { mode: 'pessimistic_write' },
      });
      if (!current) throw new NotFoundException(`order ${orderId} not found`);
      let result: ReturnType<typeof cancelOrder>;
      try {
        result = cancelOrder(current, reason);
      } catch (err) {
        if (err instanceof OrderRuleError) throw new ConflictException(err.message);
        throw err;
      }
      await manager.update(OrderRecord, orderId, {
        status: result.order.status,
        cancelledAt: result.order.cancelledAt,
        cancelReason: result.order.cancelReason,
      });
      await this.outbox.add(
        result.events.map((e) => toIntegrationEvent(e, { correlationId })),
        manager,
      );
      return result.order;
    });
  }
}
