import { OutboxRecord } from '../publisher';
import { HELD_BACK, toResults, unroutable } from './results';

const record = (key: string, n: number, destination = 'order'): OutboxRecord => ({
  destination,
  key,
  value: JSON.stringify({ n }),
  headers: { id: `${key}-${n}`, type: 'order.placed.v1' },
});

describe('RabbitMQ confirms as publish results', () => {
  it('maps an ack to published, a return before the ack to refused, and an error to unavailable', () => {
    const reason = unroutable({
      exchange: 'order',
      routingKey: 'order.lost.v1',
      replyCode: 312,
      replyText: 'NO_ROUTE',
    });
    const results = toResults(
      [record('a', 1), record('b', 1), record('c', 1)],
      [{}, { returned: reason }, { error: 'message nacked' }],
    );
    expect(results).toEqual([
      { status: 'published' },
      {
        status: 'refused',
        error: 'unroutable: exchange "order" has no queue bound for routing key "order.lost.v1" (312 NO_ROUTE)',
      },
      { status: 'unavailable', error: 'message nacked' },
    ]);
  });

  it("holds back the later records of a refused record's aggregate only, though the broker took them", () => {
    const records = [
      record('a', 1),
      record('a', 2),
      record('b', 1),
      record('a', 3),
      record('a', 1, 'shipment'), // the same key at another destination is another stream
    ];
    const results = toResults(records, [{}, { returned: 'unroutable' }, {}, {}, {}]);
    expect(results).toEqual([
      { status: 'published' },
      { status: 'refused', error: 'unroutable' },
      { status: 'published' },
      { status: 'unavailable', error: HELD_BACK },
      { status: 'published' },
    ]);
  });

  it('holds back behind a nacked record too, and still refuses a later unroutable one', () => {
    const results = toResults(
      [record('a', 1), record('a', 2), record('a', 3)],
      [{ error: 'message nacked' }, {}, { returned: 'unroutable' }],
    );
    expect(results.map((r) => r.status)).toEqual(['unavailable', 'unavailable', 'refused']);
    expect(results[1]).toEqual({ status: 'unavailable', error: HELD_BACK });
  });
});
