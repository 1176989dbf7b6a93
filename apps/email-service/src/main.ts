import 'reflect-metadata';
import { ConsoleLogger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { ORDER_EVENTS_TOPIC, parseEventData } from '@shop/contracts';
import { KafkaInboxServer } from '@shop/inbox';
import { ConfigError } from '@shop/service-kit';
import { AppModule } from './app.module';
import { loadEmailServiceConfig } from './config';

async function bootstrap() {
  const config = loadEmailServiceConfig();
  const logger = new ConsoleLogger('email-service', { json: true });
  const app = await NestFactory.create(AppModule.forRoot(config), { logger });
  app.connectMicroservice(
    {
      strategy: new KafkaInboxServer({
        consumer: config.KAFKA_CONSUMER_GROUP,
        topics: [ORDER_EVENTS_TOPIC],
        kafka: { clientId: 'email-service', brokers: config.KAFKA_BROKERS },
        dataSource: app.get(DataSource),
        validate: parseEventData,
      }),
    },
    { inheritAppConfig: true },
  );
  app.enableShutdownHooks();
  await app.startAllMicroservices();
  await app.listen(config.PORT, config.HOST);
  logger.log({ msg: 'email-service listening', port: config.PORT });
}

bootstrap().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
