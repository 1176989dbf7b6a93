/**
 * Tutorial chapter 11: four clients try the project's Kafka; the broker answers each.
 * Run with `node -r @swc-node/register docs/tutorial/11-trust-boundaries/try-the-broker.ts`.
 */
import { KafkaConfig } from 'kafkajs';
import { ORDER_EVENTS_TOPIC, SHIPMENT_EVENTS_TOPIC } from '@shop/contracts';
import { kafkaBrokers, kafkaClient, tryToWrite } from '@shop/infra';

async function knock(who: string, config: KafkaConfig, topic: string): Promise<void> {
  const answer = await tryToWrite(config, topic);
  console.log(`${who.padEnd(34)} writes ${topic.padEnd(22)} → ${answer === 'written' ? answer : `refused: ${answer}`}`);
}

async function main() {
  const shipping = kafkaClient('shipping-service');
  await knock('no credentials', { brokers: kafkaBrokers() }, SHIPMENT_EVENTS_TOPIC);
  await knock(
    'shipping-service, wrong password',
    { ...shipping, sasl: { ...shipping.sasl, password: 'guess' } },
    SHIPMENT_EVENTS_TOPIC,
  );
  await knock('order-service', kafkaClient('order-service'), SHIPMENT_EVENTS_TOPIC);
  await knock('email-service', kafkaClient('email-service'), ORDER_EVENTS_TOPIC);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
