import { register } from 'prom-client';
import { DataSource } from 'typeorm';
import { ORDER_EVENTS_TOPIC, parseEventData } from '@shop/contracts';
import { KafkaInboxBroker } from '@transactional-outbox/inbox/kafkajs';
import { connectInbox, InboxHealthIndicator, InboxServer } from '@transactional-outbox/inbox/nest';
import { InboxMetrics } from '@transactional-outbox/inbox/prometheus';
import { createServiceApp, failpoint, serveApiDocs, ServiceAppOptions } from '@shop/service-kit';
import { AppModule } from './app.module';
import { ShippingServiceConfig } from './config';

/** HTTP for queries and dispatch, documented at /docs; Kafka through the inbox transport for order events. */
export async function createShippingServiceApp(config: ShippingServiceConfig, options: ServiceAppOptions = {}) {
  const app = await createServiceApp(AppModule.forRoot(config), options);
  const inbox = new InboxServer({
    consumer: config.KAFKA_CONSUMER_GROUP,
    broker: new KafkaInboxBroker({
      kafka: { clientId: 'shipping-service', brokers: config.KAFKA_BROKERS },
      topics: [ORDER_EVENTS_TOPIC],
      sessionTimeoutMs: config.KAFKA_SESSION_TIMEOUT_MS,
      // Orders are independent of each other; only one order's events need their order.
      partitionsConsumedConcurrently: 3,
    }),
    dataSource: app.get(DataSource),
    validate: parseEventData,
    metrics: InboxMetrics.for(register),
    hooks: { afterTransactionCommit: failpoint(config.FAILPOINT, 'inbox-after-commit') },
  });
  app.get(InboxHealthIndicator).watch(inbox);
  connectInbox(app, inbox);
  serveApiDocs(
    app,
    'shipping-service',
    'Shipments scheduled from order events, dispatched here, announced through the outbox.',
  );
  return app;
}
