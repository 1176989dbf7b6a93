import { INestApplication, INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestMicroservice } from '@nestjs/microservices';
import { InboxExceptionFilter } from './inbox-exception.filter';
import { InboxServer } from './inbox-server';

/**
 * Connects the inbox to an HTTP app as a hybrid microservice with a configuration of its
 * own, so that its exception filter reaches no HTTP route and the app's filters none of
 * the inbox's handlers. Global pipes, guards or interceptors the handlers need go on the
 * returned microservice, before `app.startAllMicroservices()`.
 */
export function connectInbox(app: INestApplication, server: InboxServer): INestMicroservice {
  const microservice = app.connectMicroservice(
    { strategy: server },
    { inheritAppConfig: false, deferInitialization: true },
  ) as NestMicroservice;
  microservice.useGlobalFilters(new InboxExceptionFilter());
  // What connectMicroservice does when not deferred, now that the filter is there: handlers
  // take their filters when registered. The app runs the modules' init hooks, not this.
  microservice.registerListeners();
  microservice.setIsInitialized(true);
  microservice.setIsInitHookCalled(true);
  return microservice;
}

/** A standalone microservice running the inbox, with its exception filter: `await app.listen()` next. */
export async function createInboxMicroservice(
  module: Parameters<typeof NestFactory.createMicroservice>[0],
  server: InboxServer,
  options: Parameters<typeof NestFactory.createMicroservice>[1] = {},
): Promise<INestMicroservice> {
  const app = await NestFactory.createMicroservice(module, { ...options, strategy: server });
  app.useGlobalFilters(new InboxExceptionFilter());
  return app;
}
