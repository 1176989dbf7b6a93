import { register } from 'prom-client';
import { DataSource } from 'typeorm';
import { eventsOn, parseEventData, SUBSCRIPTIONS } from '@shop/contracts';
import { connectInbox, InboxHealthIndicator, InboxServer } from '@transactional-outbox/inbox/nest';
import { InboxMetrics } from '@transactional-outbox/inbox/prometheus';
import { createServiceApp, failpoint, messagingFor, serveApiDocs, ServiceAppOptions } from '@shop/service-kit';
import { AppModule } from './app.module';
import { ShippingServiceConfig } from './config';

/** HTTP for queries and dispatch, documented at /docs; Kafka through the inbox transport for order events. */
export async function createShippingServiceApp(config: ShippingServiceConfig, options: ServiceAppOptions = {}) {
  const app = await createServiceApp(AppModule.forRoot(config), options);
  const inbox = new InboxServer({
    consumer: config.KAFKA_CONSUMER_GROUP,
    // Orders are independent of each other; only one order's events need their order.
    broker: messagingFor(config, 'shipping-service').inboxBroker(SUBSCRIPTIONS['shipping-service'], {
      partitionsConsumedConcurrently: 3,
    }),
    dataSource: app.get(DataSource),
    validate: parseEventData,
    eventsOn, // a topic carries only its producer's event types
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
