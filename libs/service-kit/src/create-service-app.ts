import { DynamicModule, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import { DatabaseUnavailableFilter } from './database-unavailable.filter';
import { drainOnClose } from './drain-on-close';
import { useJsonBody } from './json-body';
import { correlationIdOf } from './logging.module';
import { stopTracing } from './tracing';

export interface ServiceAppOptions {
  /** false silences logs (tests); by default pino's structured logger is used. */
  logger?: false;
  /** JSON body limit, e.g. `64kb`. */
  bodyLimit?: string;
  /**
   * false leaves SIGINT/SIGTERM to the host process: an app embedded in another (the demo's
   * dashboard) must not close and re-raise the signal before its host has stopped the rest.
   */
  shutdownHooks?: false;
}

const UNITS: Record<string, number> = { kb: 1024, mb: 1024 * 1024 };
const toBytes = (limit: string) => {
  const [, n, unit] = /^(\d+)(kb|mb)$/.exec(limit) ?? [];
  if (n === undefined) throw new Error(`body limit ${limit}: expected e.g. 64kb or 1mb`);
  return Number(n) * UNITS[unit];
};

/** In the root module, whose shutdown hook runs after the others': the last spans are flushed too. */
@Injectable()
class FlushTracesOnShutdown implements OnApplicationShutdown {
  onApplicationShutdown(): Promise<void> {
    return stopTracing();
  }
}

/**
 * A NestJS HTTP app with the service conventions: pino logs, a JSON body limit, shutdown hooks
 * that stop even while clients keep sending. On Fastify, which spends less CPU per request than
 * Express; its request id is the correlation id, so logs, controllers and events share one.
 */
export async function createServiceApp(module: DynamicModule, options: ServiceAppOptions = {}) {
  const bodyLimit = toBytes(options.bodyLimit ?? '64kb');
  const app = await NestFactory.create<NestFastifyApplication>(
    { ...module, providers: [...(module.providers ?? []), FlushTracesOnShutdown] },
    new FastifyAdapter({ bodyLimit, genReqId: correlationIdOf }),
    {
      bufferLogs: options.logger !== false,
      logger: options.logger,
      bodyParser: false, // useJsonBody's parser instead
    },
  );
  if (options.logger !== false) app.useLogger(app.get(Logger));
  useJsonBody(app);
  app.useGlobalFilters(new DatabaseUnavailableFilter(app.getHttpAdapter()));
  if (options.shutdownHooks !== false) app.enableShutdownHooks();
  drainOnClose(app);
  return app;
}
