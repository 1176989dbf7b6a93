import {
  describeEndpoints,
  infraDown,
  infraMode,
  infraStatus,
  infraUp,
  prometheusRequested,
  rabbitmqRequested,
  zipkinRequested,
} from './infra';
import { connectStatus, dropDebeziumSlots, killConnect, startConnect, stopConnect } from './native-connect';
import { InfraError } from './process-utils';
import { describeInboxQueues } from './rabbitmq-queues';
import { kafkaNodes, settings } from './settings';
import { kafkaNodeRunning } from './native-kafka';

const connectUsage = 'usage: infra connect up | down | kill | status | drop-slots';

/** Debezium on Kafka Connect (native mode; Docker users: `docker compose --profile debezium up -d`). */
async function connect(command: string | undefined): Promise<void> {
  if (infraMode() === 'docker')
    throw new InfraError('in Docker mode Debezium runs in compose: docker compose --profile debezium up -d');
  switch (command) {
    case 'up':
      await startConnect();
      console.log(`[infra] connect: REST on http://${settings.host}:${settings.connect.port}`);
      return;
    case 'down':
      await stopConnect();
      console.log('[infra] connect: stopped');
      return;
    case 'kill':
      await killConnect();
      console.log('[infra] connect: killed (SIGKILL)');
      return;
    case 'status': {
      const { running, connectors } = await connectStatus();
      console.log(`[infra] connect: ${running ? 'running' : 'stopped'}`);
      for (const [name, c] of Object.entries(connectors))
        console.log(`  ${name.padEnd(16)} ${c.state}, tasks ${c.tasks.map((t) => t.state).join(', ') || 'none'}`);
      return;
    }
    case 'drop-slots': {
      const dropped = await dropDebeziumSlots();
      console.log(`[infra] connect: slots dropped: ${dropped.join(', ') || 'none'}; offsets cleared`);
      return;
    }
    default:
      throw new InfraError(connectUsage);
  }
}

async function main(command: string | undefined, flags: string[]): Promise<void> {
  if (command === 'connect') {
    if (flags.length !== 1) throw new InfraError(connectUsage);
    return connect(flags[0]);
  }
  const known = ['--rabbitmq', '--zipkin', '--prometheus'];
  const unknown = flags.filter((f) => !known.includes(f));
  if (unknown.length > 0)
    throw new InfraError(
      `unknown option ${unknown[0]}; usage: infra up [--rabbitmq] [--zipkin] [--prometheus] | down | status`,
    );
  switch (command) {
    case 'up': {
      const rabbitmq = rabbitmqRequested({ rabbitmq: flags.includes('--rabbitmq') || undefined });
      const zipkin = zipkinRequested({ zipkin: flags.includes('--zipkin') || undefined });
      const prometheus = prometheusRequested({ prometheus: flags.includes('--prometheus') || undefined });
      const { mode } = await infraUp({ smokeTest: true, rabbitmq, zipkin, prometheus });
      console.log(`[infra] up (${mode} mode):`);
      for (const line of describeEndpoints({ rabbitmq, zipkin, prometheus })) console.log(`  ${line}`);
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
        if (name !== 'mode') console.log(`  ${name.padEnd(10)} ${up ? 'running' : 'stopped'}`);
      if (settings.kafka.brokers > 1)
        for (const node of kafkaNodes())
          console.log(
            `    kafka node ${node.id} ${settings.host}:${node.port} ${(await kafkaNodeRunning(node.id)) ? 'running' : 'stopped'}`,
          );
      for (const line of describeEndpoints({
        rabbitmq: status.rabbitmq,
        zipkin: status.zipkin,
        prometheus: status.prometheus,
      }))
        console.log(`  ${line}`);
      if (status.rabbitmq) for (const line of await describeInboxQueues()) console.log(`    queue ${line}`);
      return;
    }
    default:
      throw new InfraError('usage: infra up [--rabbitmq] [--zipkin] [--prometheus] | down | status | connect …');
  }
}

main(process.argv[2], process.argv.slice(3)).catch((err: unknown) => {
  console.error(`[infra] ${err instanceof InfraError ? err.message : err instanceof Error ? err.stack : String(err)}`);
  process.exit(1);
});
