import { infraDown, stopRabbitmq } from '../infra';
import { dropDebeziumSlots, stopConnect } from '../native-connect';
import { dropReplicationSlots } from '../service-databases';

/** Stops what the test run started; infrastructure that was already running is left alone. */
export default async function globalTeardown(): Promise<void> {
  const g = globalThis as { __infraStartedByTests?: string[] };
  const started = g.__infraStartedByTests ?? [];
  g.__infraStartedByTests = [];
  // The services' log-based relays leave their slots behind; a later run must not replay them.
  if (process.env.RELAY_MODE === 'logical') await dropReplicationSlots('outbox\\_relay\\_%');
  if (process.env.RELAY_MODE === 'debezium') {
    await stopConnect();
    await dropDebeziumSlots();
  }
  if (started.length === 0 || process.env.INFRA_KEEP) return;
  // Only RabbitMQ was started for the integration tests: the rest was running before.
  if (started.every((part) => part === 'rabbitmq')) await stopRabbitmq();
  else await infraDown();
}
