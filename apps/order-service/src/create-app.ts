import { register } from 'prom-client';
import { DataSource } from 'typeorm';
import { eventsOn, parseEventData, SUBSCRIPTIONS } from '@shop/contracts';
import { connectInbox, InboxHealthIndicator, InboxServer } from '@transactional-outbox/inbox/nest';
import { InboxMetrics } from '@transactional-outbox/inbox/prometheus';
import { createServiceApp, failpoint, messagingFor, serveApiDocs, ServiceAppOptions } from '@shop/service-kit';
import { AppModule } from './app.module';
import { OrderServiceConfig } from './config';

/** The REST API with its docs at /docs, and the inbox consumer of shipment events. */
export async function createOrderServiceApp(config: OrderServiceConfig, options: ServiceAppOptions = {}) {
  const app = await createServiceApp(AppModule.forRoot(config), { ...options, bodyLimit: config.HTTP_BODY_LIMIT });
  const inbox = new InboxServer({
    consumer: config.KAFKA_CONSUMER_GROUP,
    broker: messagingFor(config, 'order-service').inboxBroker(SUBSCRIPTIONS['order-service']),
    dataSource: app.get(DataSource),
    validate: parseEventData,
    eventsOn, // a topic carries only its producer's event types
    metrics: InboxMetrics.for(register),
    hooks: { afterTransactionCommit: failpoint(config.FAILPOINT, 'inbox-after-commit') },
  });
  app.get(InboxHealthIndicator).watch(inbox);
  connectInbox(app, inbox);
  serveApiDocs(app, 'order-service', 'Orders, written with their events in one transaction (transactional outbox).');
  return app;
}
