import { kafkaClient } from '@shop/infra';
import { CONFLUENT_PACKAGE, ConfluentKafka, loadConfluentKafka } from '@transactional-outbox/outbox/confluent';
import { progress, ResultRow } from './report';

/**
 * Rows measured through `@confluentinc/kafka-javascript`, an optional dependency with a
 * native part: where it is not installed, a line says they were skipped and there are none.
 */
export async function confluentRows(
  step: string,
  measure: (kafka: ConfluentKafka) => Promise<ResultRow[]>,
): Promise<ResultRow[]> {
  let KafkaJS: ReturnType<typeof loadConfluentKafka>['KafkaJS'];
  try {
    ({ KafkaJS } = loadConfluentKafka());
  } catch {
    progress(`${step}: the ${CONFLUENT_PACKAGE} rows were skipped, it is not installed`);
    return [];
  }
  return measure(
    new KafkaJS.Kafka({ kafkaJS: { clientId: 'bench', ...kafkaClient(), logLevel: KafkaJS.logLevel.NOTHING } }),
  );
}
