import { register } from 'prom-client';
import { DataSource } from 'typeorm';
import { parseEventData, SHIPMENT_EVENTS_TOPIC } from '@shop/contracts';
import { KafkaInboxBroker } from '@transactional-outbox/inbox/kafkajs';
import { connectInbox, InboxHealthIndicator, InboxServer } from '@transactional-outbox/inbox/nest';
import { InboxMetrics } from '@transactional-outbox/inbox/prometheus';
import { createServiceApp, failpoint, serveApiDocs, ServiceAppOptions } from '@shop/service-kit';
import { AppModule } from './app.module';
import { OrderServiceConfig } from './config';

/** The REST API with its docs at /docs, and the inbox consumer of shipment events. */
export async function createOrderServiceApp(config: OrderServiceConfig, options: ServiceAppOptions = {}) {
  const app = await createServiceApp(AppModule.forRoot(config), { ...options, bodyLimit: config.HTTP_BODY_LIMIT });
  const inbox = new InboxServer({
    consumer: config.KAFKA_CONSUMER_GROUP,
    broker: new KafkaInboxBroker({
      kafka: { clientId: 'order-service', brokers: config.KAFKA_BROKERS },
      topics: [SHIPMENT_EVENTS_TOPIC],
      sessionTimeoutMs: config.KAFKA_SESSION_TIMEOUT_MS,
    }),
    dataSource: app.get(DataSource),
    validate: parseEventData,
    metrics: InboxMetrics.for(register),
    hooks: { afterTransactionCommit: failpoint(config.FAILPOINT, 'inbox-after-commit') },
  });
  app.get(InboxHealthIndicator).watch(inbox);
  connectInbox(app, inbox);
  serveApiDocs(app, 'order-service', 'Orders, written with their events in one transaction (transactional outbox).');
  return app;
}
