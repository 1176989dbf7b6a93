import { Kafka, ProducerConfig, ProducerRecord } from 'kafkajs';
import { KafkaDeadLetterSink } from './kafka-dead-letter-sink';

/** A kafkajs client whose producer records its config and each send. The int-spec uses a real broker. */
function fakeKafka() {
  const configs: ProducerConfig[] = [];
  const sent: ProducerRecord[] = [];
  const kafka = {
    producer: (config: ProducerConfig) => {
      configs.push(config);
      return {
        connect: async () => undefined,
        disconnect: async () => undefined,
        send: async (record: ProducerRecord) => void sent.push(record),
      };
    },
  } as unknown as Kafka;
  return { kafka, configs, sent };
}

describe('KafkaDeadLetterSink', () => {
  it('sends each dead letter with acks=all from one idempotent producer', async () => {
    const { kafka, configs, sent } = fakeKafka();
    const sink = new KafkaDeadLetterSink(kafka);
    await sink.send('orders.dlt', { key: Buffer.from('a'), value: Buffer.from('1'), headers: {} });
    await sink.send('orders.dlt', { key: Buffer.from('b'), value: Buffer.from('2'), headers: {} });
    expect(configs).toHaveLength(1);
    expect(configs[0]).toMatchObject({ idempotent: true, maxInFlightRequests: 1 });
    expect(sent.map((r) => [r.topic, r.acks, r.messages.map((m) => String(m.key))])).toEqual([
      ['orders.dlt', -1, ['a']],
      ['orders.dlt', -1, ['b']],
    ]);
  });
});
