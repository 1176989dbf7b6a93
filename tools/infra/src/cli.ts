import { describeEndpoints, infraDown, infraStatus, infraUp } from './infra';
import { InfraError } from './process-utils';

async function main(command: string | undefined): Promise<void> {
  switch (command) {
    case 'up': {
      const { mode } = await infraUp({ smokeTest: true });
      console.log(`[infra] up (${mode} mode):`);
      for (const line of describeEndpoints()) console.log(`  ${line}`);
      return;
    }
    case 'down':
      await infraDown();
      console.log('[infra] down');
      return;
    case 'status': {
      const status = await infraStatus();
      console.log(`[infra] mode: ${status.mode}`);
      for (const [name, up] of Object.entries(status))
        if (name !== 'mode') console.log(`  ${name.padEnd(9)} ${up ? 'running' : 'stopped'}`);
      for (const line of describeEndpoints()) console.log(`  ${line}`);
      return;
    }
    default:
      throw new InfraError('usage: infra up | down | status');
  }
}

main(process.argv[2]).catch((err: unknown) => {
  console.error(`[infra] ${err instanceof InfraError ? err.message : err instanceof Error ? err.stack : String(err)}`);
  process.exit(1);
});
