import { LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module';
import { OrderServiceConfig } from './config';

/** The HTTP application as main.ts runs it; tests build it the same way. */
export async function createOrderServiceApp(config: OrderServiceConfig, logger: LoggerService | false) {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), {
    logger,
    bodyParser: false,
  });
  app.useBodyParser('json', { limit: config.HTTP_BODY_LIMIT });
  app.enableShutdownHooks();
  return app;
}
