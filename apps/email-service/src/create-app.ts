import { register } from 'prom-client';
import { DataSource } from 'typeorm';
import { ORDER_EVENTS_TOPIC, parseEventData, SHIPMENT_EVENTS_TOPIC } from '@shop/contracts';
import { InboxHealthIndicator, KafkaInboxServer } from '@shop/inbox';
import { createServiceApp, failpoint, serveApiDocs, ServiceAppOptions } from '@shop/service-kit';
import { AppModule } from './app.module';
import { EmailServiceConfig } from './config';

/** HTTP for queries, documented at /docs; Kafka through the inbox transport for order and shipment events. */
export async function createEmailServiceApp(config: EmailServiceConfig, options: ServiceAppOptions = {}) {
  const app = await createServiceApp(AppModule.forRoot(config), options);
  const inbox = new KafkaInboxServer({
    consumer: config.KAFKA_CONSUMER_GROUP,
    topics: [ORDER_EVENTS_TOPIC, SHIPMENT_EVENTS_TOPIC],
    kafka: { clientId: 'email-service', brokers: config.KAFKA_BROKERS },
    dataSource: app.get(DataSource),
    sessionTimeoutMs: config.KAFKA_SESSION_TIMEOUT_MS,
    validate: parseEventData,
    metricsRegistry: register,
    hooks: { afterTransactionCommit: failpoint(config.FAILPOINT, 'inbox-after-commit') },
  });
  app.get(InboxHealthIndicator).watch(inbox);
  app.connectMicroservice({ strategy: inbox }, { inheritAppConfig: true });
  serveApiDocs(app, 'email-service', 'The emails sent for order and shipment events.');
  return app;
}
