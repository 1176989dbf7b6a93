import { trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ReadMessage } from './inbox-transaction';
import { inConsumeSpan } from './tracing';

const exporter = new InMemorySpanExporter();
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
provider.register();

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PUBLISH_SPAN = '00f067aa0ba902b7';
const read = (traceparent: Buffer | string, header = 'traceparent'): ReadMessage => ({
  message: {
    key: null,
    value: null,
    headers: { [header]: traceparent },
    position: { topic: 'outbox.event.order', partition: 2, offset: '7' },
    transport: { topic: 'outbox.event.order', claims: [] },
  },
  envelope: {
    id: 'e-1',
    type: 'order.placed.v1',
    aggregateType: 'order',
    aggregateId: 'o-1',
    occurredAt: '',
    data: {},
  },
  payload: {},
  handler: async () => undefined,
});

afterEach(() => exporter.reset());
afterAll(() => provider.shutdown());

describe('consume spans (with an SDK registered)', () => {
  it.each([
    ['a Buffer (Kafka)', Buffer.from(`00-${TRACE}-${PUBLISH_SPAN}-01`)],
    ['a string (RabbitMQ)', `00-${TRACE}-${PUBLISH_SPAN}-01`],
  ])('runs the handler in a child span of the message traceparent, given as %s', async (_, traceparent) => {
    const active = await inConsumeSpan('shipping-service', read(traceparent), async () =>
      trace.getActiveSpan()?.spanContext(),
    );
    const [consume] = exporter.getFinishedSpans();
    expect(consume.name).toBe('consume order.placed.v1');
    expect(consume.parentSpanContext?.spanId).toBe(PUBLISH_SPAN);
    expect(consume.spanContext().traceId).toBe(TRACE);
    expect(active?.spanId).toBe(consume.spanContext().spanId); // an outbox insert in the handler continues it
  });

  it("finds the traceparent inside Debezium's one JSON header `headers` (the row's column)", async () => {
    const column = Buffer.from(JSON.stringify({ occurredAt: '', traceparent: `00-${TRACE}-${PUBLISH_SPAN}-01` }));
    await inConsumeSpan('email-service', read(column, 'headers'), async () => undefined);
    expect(exporter.getFinishedSpans()[0].parentSpanContext?.spanId).toBe(PUBLISH_SPAN);
  });

  it('starts a trace of its own when the `headers` header is not JSON', async () => {
    await inConsumeSpan('email-service', read(Buffer.from('{not json'), 'headers'), async () => undefined);
    const [consume] = exporter.getFinishedSpans();
    expect(consume.parentSpanContext).toBeUndefined();
    expect(consume.spanContext().traceId).not.toBe(TRACE);
  });

  it('marks a failed handler as an error and rethrows', async () => {
    const failing = inConsumeSpan('email-service', read(`00-${TRACE}-${PUBLISH_SPAN}-01`), async () => {
      throw new TypeError('boom');
    });
    await expect(failing).rejects.toThrow('boom');
    expect(exporter.getFinishedSpans()[0].attributes['error.type']).toBe('TypeError');
  });
});
