/**
 * `npm run drill`: failure drills on the real system, each ending in counted figures.
 *
 *   npm run drill [-- --orders 30]            the dual write vs the outbox, broker SIGKILLed (default)
 *   npm run drill -- --fault relay            the relay leader killed between the ack and the mark
 *   npm run drill -- --fault replay           the consumers' offsets reset to 0: the whole history again
 *
 * Brings the infrastructure up if needed (and down again if it started it), runs its own
 * services, and exits non-zero when the figures are not what the pattern promises.
 */
import { randomUUID } from 'node:crypto';
import { infraDown, infraUp } from '@shop/infra';
import { brokerKillDrill } from './broker-kill.drill';
import { relayKillDrill } from './relay-kill.drill';
import { topicReplayDrill } from './topic-replay.drill';
import { say } from './drill-support';

const drills = { broker: brokerKillDrill, relay: relayKillDrill, replay: topicReplayDrill };

function parseArgs(argv: string[]): { fault: keyof typeof drills; orders: number } {
  const value = (flag: string) => (argv.includes(flag) ? argv[argv.indexOf(flag) + 1] : undefined);
  const fault = value('--fault') ?? 'broker';
  if (!(fault in drills)) throw new Error(`--fault must be one of ${Object.keys(drills).join(', ')}, got "${fault}"`);
  const orders = Number(value('--orders') ?? 30);
  if (!Number.isInteger(orders) || orders < 8 || orders > 1000)
    throw new Error('--orders must be an integer from 8 to 1000');
  return { fault: fault as keyof typeof drills, orders };
}

async function main(): Promise<number> {
  const { fault, orders } = parseArgs(process.argv.slice(2));
  say('▶ infrastructure');
  const { started } = await infraUp();
  try {
    const problems = await drills[fault]({ orders, run: randomUUID().slice(0, 8) });
    for (const p of problems) console.error(`drill failed: ${p}`);
    return problems.length === 0 ? 0 : 1;
  } finally {
    if (started.length > 0) await infraDown();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`drill: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
