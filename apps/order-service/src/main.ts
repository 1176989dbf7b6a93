import 'reflect-metadata';
import { ConsoleLogger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { ConfigError } from '@shop/service-kit';
import { AppModule } from './app.module';
import { loadOrderServiceConfig } from './config';

async function bootstrap() {
  const config = loadOrderServiceConfig();
  const logger = new ConsoleLogger('order-service', { json: true });
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), { logger, bodyParser: false });
  app.useBodyParser('json', { limit: config.HTTP_BODY_LIMIT });
  app.enableShutdownHooks();
  await app.listen(config.PORT, config.HOST);
  logger.log({ msg: 'order-service listening', port: config.PORT });
}

bootstrap().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
