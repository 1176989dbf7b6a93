import { BaseRpcContext } from '@nestjs/microservices';
import { EntityManager } from 'typeorm';
import { InboxEnvelope } from './inbox-envelope';

export interface InboxMessageMeta {
  topic: string;
  partition: number;
  offset: string;
}

type ContextArgs = [EntityManager, InboxEnvelope, InboxMessageMeta, (fn: () => void) => void];

/**
 * What an `@EventPattern` handler gets with `@Ctx()`: the transaction in which the
 * inbox row was written (do the side effect with it), the envelope, and where the
 * message came from.
 */
export class InboxContext extends BaseRpcContext<ContextArgs> {
  /** The transaction shared with the inbox insert; commit is the transport's job. */
  get manager(): EntityManager {
    return this.args[0];
  }

  get envelope(): InboxEnvelope {
    return this.args[1];
  }

  get message(): InboxMessageMeta {
    return this.args[2];
  }

  /** Runs fn once the transaction committed, e.g. to wake a sender of emails. */
  afterCommit(fn: () => void): void {
    this.args[3](fn);
  }
}
