import { Kafka, KafkaConfig, logLevel } from 'kafkajs';

/** The broker's answer in a few words: its error code, or how it ended the conversation. */
export function kafkaRefusal(err: unknown): string {
  type Wrapped = { name?: string; type?: string; message?: string; originalError?: unknown; cause?: unknown };
  for (let e = err as Wrapped | undefined; e; e = (e.originalError ?? e.cause) as Wrapped | undefined) {
    if (e.type) return e.type;
    if (e.name === 'KafkaJSSASLAuthenticationError') return 'SASL authentication failed (invalid credentials)';
    if (/Closed connection/.test(e.message ?? '')) return 'the broker closed the connection (no SASL handshake)';
  }
  return String(err);
}

/** Writes one record to `topic` as `config`'s user, with an idempotent producer as the services do: 'written', or the refusal. */
export async function tryToWrite(config: KafkaConfig, topic: string): Promise<string> {
  const producer = new Kafka({ logLevel: logLevel.NOTHING, ...config }).producer({
    idempotent: true,
    retry: { retries: 1 }, // an idempotent producer needs one; a refusal is not retried
  });
  try {
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: [{ key: 'probe', value: '{}' }] });
    return 'written';
  } catch (err) {
    return kafkaRefusal(err);
  } finally {
    await producer.disconnect();
  }
}
