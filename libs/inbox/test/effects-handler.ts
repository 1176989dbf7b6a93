import { Controller, Module } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { InboxContext } from '../src/nest';

export const THING_HAPPENED = 'thing.happened.v1';

/**
 * Knobs the tests turn: transient failures, a slow handler, a message that always fails,
 * and something to do inside the transaction before the effect is written.
 */
export const handlerControl = {
  failuresToInject: 0,
  delayMs: 0,
  alwaysFailFor: -1,
  beforeEffect: undefined as undefined | ((n: number) => Promise<void>),
};

export const resetHandlerControl = () =>
  Object.assign(handlerControl, { failuresToInject: 0, delayMs: 0, alwaysFailFor: -1, beforeEffect: undefined });

/** Records each handled event in `effects`, inside the inbox transaction. No exception filter: the transport needs none. */
@Controller()
export class EffectsHandler {
  @EventPattern(THING_HAPPENED)
  async handle(@Payload() data: { n: number }, @Ctx() ctx: InboxContext) {
    if (handlerControl.delayMs > 0) await new Promise((r) => setTimeout(r, handlerControl.delayMs));
    if (data.n === handlerControl.alwaysFailFor) throw new Error(`handler refuses n=${data.n}`);
    if (handlerControl.failuresToInject > 0) {
      handlerControl.failuresToInject -= 1;
      throw new Error('transient failure');
    }
    await handlerControl.beforeEffect?.(data.n);
    await ctx.manager.query('INSERT INTO effects (event_id, n) VALUES ($1, $2)', [ctx.envelope.id, data.n]);
  }
}

@Module({ controllers: [EffectsHandler] })
export class EffectsModule {}

export const validateThing = (e: { data: unknown }) => {
  const data = e.data as { n?: unknown };
  if (typeof data?.n !== 'number') throw new Error('data.n must be a number');
  return data;
};
