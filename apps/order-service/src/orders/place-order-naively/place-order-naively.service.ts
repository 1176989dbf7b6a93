import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { Kafka, KafkaConfig, logLevel, Producer } from 'kafkajs';
import { DataSource } from 'typeorm';
import { ORDER_EVENTS_TOPIC } from '@shop/contracts';
import { Order, placeOrder } from '../domain/order';
import { toIntegrationEvent } from '../order-events.mapper';
import { OrderRecord } from '../order.record';
import { PlaceOrderRequest } from '../place-order/place-order.request';

export const NAIVE_KAFKA = Symbol('NAIVE_KAFKA');

/**
 * DEMO ONLY — the dual write this repository exists to replace. It commits the order,
 * then sends the event to Kafka itself. When the send fails (broker down) the order stays
 * committed and the event is gone: nothing records that it was ever owed. `npm run drill`
 * counts those losses beside the outbox path's zero. Mounted only with
 * DEMO_NAIVE_DUAL_WRITE=true.
 */
@Injectable()
export class PlaceOrderNaivelyService implements OnModuleDestroy {
  private readonly logger = new Logger(PlaceOrderNaivelyService.name);
  private readonly producer: Producer;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(NAIVE_KAFKA) kafka: KafkaConfig,
  ) {
    // A typical hand-rolled producer: a couple of quick retries, then give up.
    this.producer = new Kafka({
      ...kafka,
      logLevel: logLevel.NOTHING,
      connectionTimeout: 1000,
      requestTimeout: 3000,
      retry: { retries: 2, initialRetryTime: 200 },
    }).producer();
  }

  async placeOrder(request: PlaceOrderRequest, correlationId: string): Promise<Order> {
    const { order, events } = placeOrder({
      customerId: request.customerId,
      contactEmail: request.contactEmail,
      currency: request.currency,
      lines: request.items,
      shippingAddress: request.shippingAddress,
    });
    // Write 1: the order, committed on its own.
    await this.dataSource.transaction((manager) => manager.insert(OrderRecord, order));
    // Write 2: the event, straight to the broker, after the commit.
    const messages = events
      .map((e) => toIntegrationEvent(e, { correlationId }))
      .map((e) => ({
        key: e.aggregateId,
        value: JSON.stringify(e),
        headers: {
          id: e.id,
          type: e.type,
          aggregateType: e.aggregateType,
          aggregateId: e.aggregateId,
          occurredAt: e.occurredAt,
          correlationId,
        },
      }));
    try {
      await this.producer.connect();
      await this.producer.send({ topic: ORDER_EVENTS_TOPIC, acks: -1, messages });
    } catch (err) {
      // The loss: the order is committed, the event is not sent, and no one will retry it.
      this.logger.error({
        msg: 'naive dual write: order committed, event not published (lost)',
        orderId: order.id,
        error: err instanceof Error ? err.message : String(err),
      });
    }
    return order;
  }

  async onModuleDestroy(): Promise<void> {
    await this.producer.disconnect();
  }
}
