import { describeEndpoints, infraDown, infraStatus, infraUp, rabbitmqRequested } from './infra';
import { InfraError } from './process-utils';
import { describeInboxQueues } from './rabbitmq-queues';
import { settings } from './settings';

async function main(command: string | undefined, flags: string[]): Promise<void> {
  const unknown = flags.filter((f) => f !== '--rabbitmq');
  if (unknown.length > 0)
    throw new InfraError(`unknown option ${unknown[0]}; usage: infra up [--rabbitmq] | down | status`);
  switch (command) {
    case 'up': {
      const rabbitmq = rabbitmqRequested({ rabbitmq: flags.includes('--rabbitmq') || undefined });
      const { mode } = await infraUp({ smokeTest: true, rabbitmq });
      console.log(`[infra] up (${mode} mode):`);
      for (const line of describeEndpoints({ rabbitmq })) console.log(`  ${line}`);
      return;
    }
    case 'down':
      await infraDown();
      console.log('[infra] down');
      return;
    case 'status': {
      const status = await infraStatus();
      console.log(`[infra] mode: ${status.mode}, services' broker: ${settings.broker} (BROKER)`);
      for (const [name, up] of Object.entries(status))
        if (name !== 'mode') console.log(`  ${name.padEnd(9)} ${up ? 'running' : 'stopped'}`);
      for (const line of describeEndpoints({ rabbitmq: status.rabbitmq })) console.log(`  ${line}`);
      if (status.rabbitmq) for (const line of await describeInboxQueues()) console.log(`    queue ${line}`);
      return;
    }
    default:
      throw new InfraError('usage: infra up [--rabbitmq] | down | status');
  }
}

main(process.argv[2], process.argv.slice(3)).catch((err: unknown) => {
  console.error(`[infra] ${err instanceof InfraError ? err.message : err instanceof Error ? err.stack : String(err)}`);
  process.exit(1);
});
