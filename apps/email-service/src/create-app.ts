import { register } from 'prom-client';
import { DataSource } from 'typeorm';
import { eventsOn, parseEventData, SUBSCRIPTIONS } from '@shop/contracts';
import { connectInbox, InboxHealthIndicator, InboxServer } from '@transactional-outbox/inbox/nest';
import { InboxMetrics } from '@transactional-outbox/inbox/prometheus';
import { createServiceApp, failpoint, messagingFor, serveApiDocs, ServiceAppOptions } from '@shop/service-kit';
import { AppModule } from './app.module';
import { EmailServiceConfig } from './config';

/** HTTP for queries, documented at /docs; Kafka through the inbox transport for order and shipment events. */
export async function createEmailServiceApp(config: EmailServiceConfig, options: ServiceAppOptions = {}) {
  const app = await createServiceApp(AppModule.forRoot(config), options);
  const inbox = new InboxServer({
    consumer: config.KAFKA_CONSUMER_GROUP,
    broker: messagingFor(config, 'email-service').inboxBroker(SUBSCRIPTIONS['email-service']),
    dataSource: app.get(DataSource),
    validate: parseEventData,
    eventsOn, // a topic carries only its producer's event types
    metrics: InboxMetrics.for(register),
    hooks: { afterTransactionCommit: failpoint(config.FAILPOINT, 'inbox-after-commit') },
  });
  app.get(InboxHealthIndicator).watch(inbox);
  connectInbox(app, inbox);
  serveApiDocs(app, 'email-service', 'The emails sent for order and shipment events.');
  return app;
}
