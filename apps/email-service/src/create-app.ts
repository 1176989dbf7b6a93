import { LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { ORDER_EVENTS_TOPIC, parseEventData } from '@shop/contracts';
import { InboxHealthIndicator, KafkaInboxServer } from '@shop/inbox';
import { AppModule } from './app.module';
import { EmailServiceConfig } from './config';

/** HTTP for health and queries; Kafka through the inbox transport for events. */
export async function createEmailServiceApp(config: EmailServiceConfig, logger: LoggerService | false) {
  const app = await NestFactory.create(AppModule.forRoot(config), { logger });
  const inbox = new KafkaInboxServer({
    consumer: config.KAFKA_CONSUMER_GROUP,
    topics: [ORDER_EVENTS_TOPIC],
    kafka: { clientId: 'email-service', brokers: config.KAFKA_BROKERS },
    dataSource: app.get(DataSource),
    validate: parseEventData,
  });
  app.get(InboxHealthIndicator).watch(inbox);
  app.connectMicroservice({ strategy: inbox }, { inheritAppConfig: true });
  app.enableShutdownHooks();
  return app;
}
