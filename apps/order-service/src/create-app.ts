import { register } from 'prom-client';
import { DataSource } from 'typeorm';
import { parseEventData, SHIPMENT_EVENTS_TOPIC } from '@shop/contracts';
import { InboxHealthIndicator, KafkaInboxServer } from '@shop/inbox';
import { createServiceApp, failpoint, serveApiDocs, ServiceAppOptions } from '@shop/service-kit';
import { AppModule } from './app.module';
import { OrderServiceConfig } from './config';

/** The REST API with its docs at /docs, and the inbox consumer of shipment events. */
export async function createOrderServiceApp(config: OrderServiceConfig, options: ServiceAppOptions = {}) {
  const app = await createServiceApp(AppModule.forRoot(config), { ...options, bodyLimit: config.HTTP_BODY_LIMIT });
  const inbox = new KafkaInboxServer({
    consumer: config.KAFKA_CONSUMER_GROUP,
    topics: [SHIPMENT_EVENTS_TOPIC],
    kafka: { clientId: 'order-service', brokers: config.KAFKA_BROKERS },
    dataSource: app.get(DataSource),
    sessionTimeoutMs: config.KAFKA_SESSION_TIMEOUT_MS,
    validate: parseEventData,
    metricsRegistry: register,
    hooks: { afterTransactionCommit: failpoint(config.FAILPOINT, 'inbox-after-commit') },
  });
  app.get(InboxHealthIndicator).watch(inbox);
  app.connectMicroservice({ strategy: inbox }, { inheritAppConfig: true });
  serveApiDocs(app, 'order-service', 'Orders, written with their events in one transaction (transactional outbox).');
  return app;
}
