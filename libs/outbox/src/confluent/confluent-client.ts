/**
 * The part of `@confluentinc/kafka-javascript`'s KafkaJS-compatible API the publisher uses,
 * declared here so that the library (and a project without the client) type-checks and
 * loads without it: the package is an optional peer, required only when a publisher makes
 * its own client.
 */
export interface ConfluentMessage {
  key: string;
  value: string;
  headers: Record<string, string>;
}

export interface ConfluentProducer {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  send(record: { topic: string; messages: ConfluentMessage[] }): Promise<unknown>;
}

/** A `KafkaJS.Kafka` client of the package, or anything with its `producer`. */
export interface ConfluentKafka {
  producer(config: ConfluentClientConfig): ConfluentProducer;
}

/**
 * The package's client configuration: KafkaJS-style settings under `kafkaJS`
 * (`brokers`, `sasl`, `ssl`, `clientId`, `logLevel`…), librdkafka properties beside it.
 */
export interface ConfluentClientConfig {
  kafkaJS?: object;
  [librdkafkaProperty: string]: unknown;
}

export const CONFLUENT_PACKAGE = '@confluentinc/kafka-javascript';

interface ConfluentModule {
  KafkaJS: {
    Kafka: new (config: ConfluentClientConfig) => ConfluentKafka;
    logLevel: Record<'NOTHING' | 'ERROR' | 'WARN' | 'INFO' | 'DEBUG', number>;
  };
}

/** Loads the package, or says how to install it (its native part is built on install). */
export function loadConfluentKafka(): ConfluentModule {
  try {
    // An optional peer: loaded only when a publisher makes its own client.
    return require(CONFLUENT_PACKAGE) as ConfluentModule;
  } catch (err) {
    throw new Error(
      `${CONFLUENT_PACKAGE} is not installed or its native module did not build ` +
        `(npm install ${CONFLUENT_PACKAGE}; where its prebuilt binary cannot be downloaded, ` +
        `CKJS_LINKING=dynamic with libssl-dev and zlib1g-dev builds it): ${String((err as Error).message).split('\n')[0]}`,
      { cause: err },
    );
  }
}
