import 'reflect-metadata';
import { ConsoleLogger } from '@nestjs/common';
import { ConfigError } from '@shop/service-kit';
import { loadOrderServiceConfig } from './config';
import { createOrderServiceApp } from './create-app';

async function bootstrap() {
  const config = loadOrderServiceConfig();
  const logger = new ConsoleLogger('order-service', { json: true });
  const app = await createOrderServiceApp(config, logger);
  await app.listen(config.PORT, config.HOST);
  logger.log({ msg: 'order-service listening', port: config.PORT });
}

bootstrap().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
