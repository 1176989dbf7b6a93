import { BaseRpcContext } from '@nestjs/microservices';
import { EntityManager } from 'typeorm';
import { InboxEnvelope } from '../inbox-envelope';
import { InboxHandlerContext } from '../inbox-options';
import { MessagePosition } from '../ports';

/** Where a message came from: topic (or queue), partition, offset (or delivery tag). */
export type InboxMessageMeta = MessagePosition;

type ContextArgs = [EntityManager, InboxEnvelope, MessagePosition, (fn: () => void) => void];

/**
 * What an `@EventPattern` handler gets with `@Ctx()`: the transaction in which the
 * inbox row was written (do the side effect with it), the envelope, and where the
 * message came from.
 */
export class InboxContext extends BaseRpcContext<ContextArgs> {
  static of(context: InboxHandlerContext): InboxContext {
    return new InboxContext([context.manager, context.envelope, context.message, (fn) => context.afterCommit(fn)]);
  }

  /** The transaction shared with the inbox insert; commit is the transport's job. */
  get manager(): EntityManager {
    return this.args[0];
  }

  get envelope(): InboxEnvelope {
    return this.args[1];
  }

  get message(): MessagePosition {
    return this.args[2];
  }

  /** Runs fn once the transaction committed, e.g. to wake a sender of emails. */
  afterCommit(fn: () => void): void {
    this.args[3](fn);
  }
}
