import { deadLetterRecord, deadLetterTopicFor } from './dead-letter';
import { InboxMessage } from './ports';

const message = (partition?: number): InboxMessage => ({
  key: Buffer.from('order-1'),
  value: Buffer.from('{"not":"json'),
  headers: { traceparent: '00-abc-def-01', 'x-origin': Buffer.from('test') },
  position: { topic: 'outbox.event.order', partition, offset: '42' },
  transport: { topic: 'outbox.event.order', claims: [] },
});

describe('deadLetterTopicFor', () => {
  it('names the dead-letter topic after its source', () => {
    expect(deadLetterTopicFor('outbox.event.order')).toBe('outbox.event.order.dlt');
  });
});

describe('deadLetterRecord', () => {
  it('keeps the key, value and headers, and adds where it came from and why', () => {
    const record = deadLetterRecord(message(2), 'shipping-service', new Error('handler refuses'), 5);
    expect(record.key).toEqual(Buffer.from('order-1'));
    expect(record.value).toEqual(Buffer.from('{"not":"json'));
    expect(record.headers).toEqual({
      traceparent: '00-abc-def-01',
      'x-origin': Buffer.from('test'),
      'dlt-original-topic': 'outbox.event.order',
      'dlt-original-partition': '2',
      'dlt-original-offset': '42',
      'dlt-consumer': 'shipping-service',
      'dlt-error': 'handler refuses',
      'dlt-attempts': '5',
    });
  });

  it('leaves out the partition where the source has none (a queue)', () => {
    const record = deadLetterRecord(message(undefined), 'email-service', new Error('x'), 1);
    expect(Object.keys(record.headers)).not.toContain('dlt-original-partition');
    expect(record.headers['dlt-original-offset']).toBe('42');
  });

  it('overrides dlt headers a re-driven message still carries, and leaves values PostgreSQL quotes out', () => {
    const redriven = { ...message(0), headers: { 'dlt-attempts': '5', 'dlt-error': 'old' } };
    const dataException = Object.assign(new Error('invalid input syntax for type uuid: "ada@example.com"'), {
      code: '22P02',
    });
    const { headers } = deadLetterRecord(redriven, 'c', dataException, 1);
    expect(headers['dlt-attempts']).toBe('1');
    expect(headers['dlt-error']).toBe('invalid input syntax for type uuid: [value not logged] (SQLSTATE 22P02)');
  });

  it('cuts a long error to 1000 characters', () => {
    const { headers } = deadLetterRecord(message(0), 'c', new Error('x'.repeat(5000)), 1);
    expect(headers['dlt-error']).toHaveLength(1000);
  });
});
