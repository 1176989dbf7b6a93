import { LoggerService } from '@nestjs/common';
import { CustomTransportStrategy, MessageHandler, Server } from '@nestjs/microservices';
import { isObservable, lastValueFrom } from 'rxjs';
import { Inbox, InboxHealth } from '../inbox';
import { InboxHandler, InboxSettings } from '../inbox-options';
import { InboxStats } from '../message-handling';
import { InboxLogger } from '../observability';
import { InboxBroker } from '../ports';
import { InboxContext } from './inbox-context';

export type InboxServerOptions = InboxSettings;

/** The core's logger on a Nest logger, entries as structured objects (`msg` plus context). */
export const nestInboxLogger = (logger: LoggerService): InboxLogger => ({
  log: (msg, context) => logger.log({ msg, ...context }),
  warn: (msg, context) => logger.warn({ msg, ...context }),
  error: (msg, context) => logger.error({ msg, ...context }),
});

/** What Nest's default RPC filter leaves of any error. */
const isReplacedByNest = (err: unknown) =>
  !(err instanceof Error) &&
  (err as { status?: unknown } | null)?.status === 'error' &&
  (err as { message?: unknown }).message === 'Internal server error';

/**
 * A NestJS transport that makes `@EventPattern(type)` handlers idempotent, on any broker
 * behind the inbox's ports (`broker: new KafkaInboxBroker(...)` from `/kafkajs`). Connect
 * it with `connectInbox(app, server)` or `createInboxMicroservice(module, server)`, which
 * give it its own exception handling: handlers need no filter.
 */
export class InboxServer extends Server implements CustomTransportStrategy {
  readonly inbox: Inbox;
  private warnedOfReplacedErrors = false;

  constructor(private readonly options: InboxServerOptions) {
    super();
    this.inbox = new Inbox({
      ...options,
      logger: options.logger ?? nestInboxLogger(this.logger),
      handlerFor: (type) => this.handlerFor(type),
    });
  }

  get stats(): InboxStats {
    return this.inbox.stats;
  }

  /** Returns at once and connects in the background: a service starts without its broker. */
  listen(callback: () => void): void {
    this.inbox.start();
    callback();
  }

  close(): Promise<void> {
    return this.inbox.stop();
  }

  on(): never {
    throw new Error('InboxServer does not emit events');
  }

  /** The broker adapter, e.g. a `KafkaInboxBroker`. */
  unwrap<T = InboxBroker>(): T {
    return this.options.broker as T;
  }

  health(): Promise<InboxHealth> {
    return this.inbox.health();
  }

  applyRetention(): Promise<number> {
    return this.inbox.applyRetention();
  }

  pause(): void {
    this.inbox.pause();
  }

  resume(): void {
    this.inbox.resume();
  }

  private handlerFor(type: string): InboxHandler | undefined {
    const handler: MessageHandler | null = this.getHandlerByPattern(type);
    if (!handler) return undefined;
    return async (payload, context) => {
      try {
        const result = await handler(payload, InboxContext.of(context));
        if (isObservable(result)) await lastValueFrom(result, { defaultValue: undefined });
      } catch (err) {
        throw isReplacedByNest(err) ? this.replacedError() : err;
      }
    };
  }

  /** Still counted against the message; an outage is told apart by the transaction's own connection. */
  private replacedError(): Error {
    if (!this.warnedOfReplacedErrors) {
      this.warnedOfReplacedErrors = true;
      this.logger.warn(
        'inbox: a Nest exception filter replaced a handler error with "Internal server error"; ' +
          'connect the inbox with connectInbox() or createInboxMicroservice() to keep the cause',
      );
    }
    return new Error('handler failed (its error was replaced by a Nest exception filter)');
  }
}
