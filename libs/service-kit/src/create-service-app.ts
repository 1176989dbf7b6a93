import { DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { Request, Response } from 'express';
import { Logger } from 'nestjs-pino';
import { DatabaseUnavailableFilter } from './database-unavailable.filter';

export interface ServiceAppOptions {
  /** false silences logs (tests); by default pino's structured logger is used. */
  logger?: false;
  /** JSON body limit, e.g. `64kb`. */
  bodyLimit?: string;
}

/** A NestJS HTTP app with the service conventions: pino logs, a JSON body limit, shutdown hooks. */
export async function createServiceApp(module: DynamicModule, options: ServiceAppOptions = {}) {
  const app = await NestFactory.create<NestExpressApplication>(module, {
    bufferLogs: options.logger !== false,
    logger: options.logger,
    bodyParser: false,
  });
  if (options.logger !== false) app.useLogger(app.get(Logger));
  // A body in another format would reach handlers as {}: refuse it outright.
  app.use((req: Request, res: Response, next: () => void) => {
    const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
    if (hasBody && !/^application\/json\b/i.test(req.headers['content-type'] ?? '')) {
      res.status(415).json({ statusCode: 415, message: 'Content-Type must be application/json' });
      return;
    }
    next();
  });
  app.useBodyParser('json', { limit: options.bodyLimit ?? '64kb' });
  app.useGlobalFilters(new DatabaseUnavailableFilter(app.getHttpAdapter()));
  app.enableShutdownHooks();
  return app;
}
