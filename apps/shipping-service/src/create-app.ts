import { register } from 'prom-client';
import { DataSource } from 'typeorm';
import { ORDER_EVENTS_TOPIC, parseEventData } from '@shop/contracts';
import { InboxHealthIndicator, KafkaInboxServer } from '@shop/inbox';
import { createServiceApp, failpoint, serveApiDocs, ServiceAppOptions } from '@shop/service-kit';
import { AppModule } from './app.module';
import { ShippingServiceConfig } from './config';

/** HTTP for queries and dispatch, documented at /docs; Kafka through the inbox transport for order events. */
export async function createShippingServiceApp(config: ShippingServiceConfig, options: ServiceAppOptions = {}) {
  const app = await createServiceApp(AppModule.forRoot(config), options);
  const inbox = new KafkaInboxServer({
    consumer: config.KAFKA_CONSUMER_GROUP,
    topics: [ORDER_EVENTS_TOPIC],
    kafka: { clientId: 'shipping-service', brokers: config.KAFKA_BROKERS },
    dataSource: app.get(DataSource),
    sessionTimeoutMs: config.KAFKA_SESSION_TIMEOUT_MS,
    validate: parseEventData,
    metricsRegistry: register,
    // Orders are independent of each other; only one order's events need their order.
    partitionsConsumedConcurrently: 3,
    hooks: { afterTransactionCommit: failpoint(config.FAILPOINT, 'inbox-after-commit') },
  });
  app.get(InboxHealthIndicator).watch(inbox);
  app.connectMicroservice({ strategy: inbox }, { inheritAppConfig: true });
  serveApiDocs(
    app,
    'shipping-service',
    'Shipments scheduled from order events, dispatched here, announced through the outbox.',
  );
  return app;
}
