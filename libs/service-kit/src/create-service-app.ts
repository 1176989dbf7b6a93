import { DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { Logger } from 'nestjs-pino';
import { DatabaseUnavailableFilter } from './database-unavailable.filter';
import { drainOnClose } from './drain-on-close';
import { useJsonBody } from './json-body';

export interface ServiceAppOptions {
  /** false silences logs (tests); by default pino's structured logger is used. */
  logger?: false;
  /** JSON body limit, e.g. `64kb`. */
  bodyLimit?: string;
}

/** A NestJS HTTP app with the service conventions: pino logs, a JSON body limit, shutdown hooks that
 * stop even while clients keep sending. */
export async function createServiceApp(module: DynamicModule, options: ServiceAppOptions = {}) {
  const app = await NestFactory.create<NestExpressApplication>(module, {
    bufferLogs: options.logger !== false,
    logger: options.logger,
    bodyParser: false,
  });
  if (options.logger !== false) app.useLogger(app.get(Logger));
  useJsonBody(app, options.bodyLimit ?? '64kb');
  app.useGlobalFilters(new DatabaseUnavailableFilter(app.getHttpAdapter()));
  app.enableShutdownHooks();
  drainOnClose(app);
  return app;
}
