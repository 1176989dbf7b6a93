/**
 * Tutorial chapter 11: four clients try the project's Kafka; the broker answers each.
 * Run with `node -r @swc-node/register docs/tutorial/11-trust-boundaries/try-the-broker.ts`.
 */
import { Kafka, KafkaConfig, KafkaJSSASLAuthenticationError, logLevel } from 'kafkajs';
import { ORDER_EVENTS_TOPIC, SHIPMENT_EVENTS_TOPIC } from '@shop/contracts';
import { kafkaBrokers, kafkaClient } from '@shop/infra';

/** The broker's answer in a few words: its error code, or how it ended the conversation. */
function brokerSays(err: unknown): string {
  if (err instanceof KafkaJSSASLAuthenticationError) return 'SASL authentication failed (invalid credentials)';
  for (let e = err as { type?: string; message?: string; originalError?: unknown } | undefined; e;) {
    if (e.type) return e.type;
    if (/Closed connection/.test(e.message ?? '')) return 'the broker closed the connection (no SASL handshake)';
    e = e.originalError as typeof e;
  }
  return String(err);
}

async function tryToWrite(who: string, config: KafkaConfig, topic: string): Promise<void> {
  const producer = new Kafka({ ...config, logLevel: logLevel.NOTHING, retry: { retries: 0 } }).producer();
  let answer = 'written';
  try {
    await producer.connect();
    await producer.send({ topic, messages: [{ key: 'tutorial', value: '{}' }] });
  } catch (err) {
    answer = `refused: ${brokerSays(err)}`;
  } finally {
    await producer.disconnect();
  }
  console.log(`${who.padEnd(34)} writes ${topic.padEnd(22)} → ${answer}`);
}

async function main() {
  const shipping = kafkaClient('shipping-service');
  await tryToWrite('no credentials', { brokers: kafkaBrokers() }, SHIPMENT_EVENTS_TOPIC);
  await tryToWrite(
    'shipping-service, wrong password',
    { ...shipping, sasl: { ...shipping.sasl, password: 'guess' } },
    SHIPMENT_EVENTS_TOPIC,
  );
  await tryToWrite('order-service', kafkaClient('order-service'), SHIPMENT_EVENTS_TOPIC);
  await tryToWrite('email-service', kafkaClient('email-service'), ORDER_EVENTS_TOPIC);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
