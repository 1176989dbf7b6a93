import {
  KafkaJSConnectionError,
  KafkaJSNonRetriableError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
} from 'kafkajs';
import { isProducerStateError, isRecordError } from './record-errors';

/** A protocol error as kafkajs builds one from a broker's error code. */
const protocolError = (type: string, code: number) =>
  new KafkaJSProtocolError({ type, code, message: `broker said ${type}`, retriable: false } as unknown as Error);

describe('isRecordError (kafkajs and librdkafka)', () => {
  // The Kafka protocol's error codes, as kafkajs names them.
  it.each([
    ['MESSAGE_TOO_LARGE', 10],
    ['RECORD_LIST_TOO_LARGE', 18],
    ['INVALID_RECORD', 87],
    ['CORRUPT_MESSAGE', 2],
    ['INVALID_TOPIC_EXCEPTION', 17],
    ['INVALID_REQUIRED_ACKS', 21],
  ])('takes %s (code %i) as the record at fault, bare or wrapped by the retrier', (type, code) => {
    expect(isRecordError(protocolError(type, code))).toBe(true);
    const retried = new KafkaJSNumberOfRetriesExceeded(protocolError(type, code), { retryCount: 5, retryTime: 100 });
    expect(isRecordError(retried)).toBe(true);
    expect(isRecordError(Object.assign(new Error('wrapped'), { originalError: protocolError(type, code) }))).toBe(true);
  });

  it.each([
    ['ERR_MSG_SIZE_TOO_LARGE', 10],
    ['ERR_TOPIC_AUTHORIZATION_FAILED', 29],
  ])('takes %s (code %i) as @confluentinc/kafka-javascript reports it as the record at fault', (type, code) => {
    expect(
      isRecordError(Object.assign(new Error('Broker: refused'), { name: 'KafkaJSProtocolError', type, code })),
    ).toBe(true);
  });

  it('takes every other error as the broker being unavailable', () => {
    // librdkafka's local errors: a delivery timed out (-192), all brokers down (-187).
    expect(isRecordError(Object.assign(new Error('Local: Message timed out'), { code: -192 }))).toBe(false);
    expect(isRecordError(Object.assign(new Error('Local: All broker connections are down'), { code: -187 }))).toBe(
      false,
    );
    expect(isRecordError(protocolError('NOT_LEADER_FOR_PARTITION', 6))).toBe(false);
    expect(isRecordError(protocolError('REQUEST_TIMED_OUT', 7))).toBe(false);
    expect(isRecordError(new KafkaJSConnectionError('Connection error: ECONNREFUSED'))).toBe(false);
    expect(isRecordError(new KafkaJSNonRetriableError('The producer is disconnected'))).toBe(false);
    expect(isRecordError(new Error('socket hang up'))).toBe(false);
    expect(isRecordError(undefined)).toBe(false);
    expect(isRecordError('MESSAGE_TOO_LARGE')).toBe(false);
  });

  it('looks at most five errors deep', () => {
    let deep: Error = protocolError('MESSAGE_TOO_LARGE', 10);
    for (let i = 0; i < 4; i++) deep = new Error('wrapper', { cause: deep });
    expect(isRecordError(deep)).toBe(true);
    expect(isRecordError(new Error('one more', { cause: deep }))).toBe(false);
  });
});

describe('isProducerStateError (kafkajs)', () => {
  it.each([
    ['OUT_OF_ORDER_SEQUENCE_NUMBER', 45],
    ['UNKNOWN_PRODUCER_ID', 59],
    ['INVALID_PRODUCER_EPOCH', 47],
    ['INVALID_PRODUCER_ID_MAPPING', 49],
  ])('takes %s (code %i) as a producer to replace, bare or wrapped', (type, code) => {
    expect(isProducerStateError(protocolError(type, code))).toBe(true);
    const bailed = protocolError(type, code);
    expect(isProducerStateError(Object.assign(new KafkaJSNonRetriableError(bailed), { cause: bailed }))).toBe(true); // as the retrier wraps it
    expect(isRecordError(protocolError(type, code))).toBe(false); // the rows wait, nothing is parked
  });

  it('leaves record errors and outages alone', () => {
    expect(isProducerStateError(protocolError('MESSAGE_TOO_LARGE', 10))).toBe(false);
    expect(isProducerStateError(protocolError('REQUEST_TIMED_OUT', 7))).toBe(false);
    expect(isProducerStateError(new KafkaJSConnectionError('Connection error: ECONNREFUSED'))).toBe(false);
  });
});
