import { Controller, Module, UseFilters } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { InboxContext, InboxExceptionFilter } from '../src';

export const THING_HAPPENED = 'thing.happened.v1';

/** Knobs the tests turn: transient failures, a slow handler, a message that always fails. */
export const handlerControl = { failuresToInject: 0, delayMs: 0, alwaysFailFor: -1 };

/** Records each handled event in `effects`, inside the inbox transaction. */
@Controller()
@UseFilters(InboxExceptionFilter)
export class EffectsHandler {
  @EventPattern(THING_HAPPENED)
  async handle(@Payload() data: { n: number }, @Ctx() ctx: InboxContext) {
    if (handlerControl.delayMs > 0) await new Promise((r) => setTimeout(r, handlerControl.delayMs));
    if (data.n === handlerControl.alwaysFailFor) throw new Error(`handler refuses n=${data.n}`);
    if (handlerControl.failuresToInject > 0) {
      handlerControl.failuresToInject -= 1;
      throw new Error('transient failure');
    }
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
