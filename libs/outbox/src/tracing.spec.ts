import { context, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { OutboxRecord } from './publisher';
import { inInsertSpan, publishSpans } from './tracing';

const exporter = new InMemorySpanExporter();
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
provider.register(); // async-hooks context and the W3C trace context propagator, as a service has

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const INSERT_SPAN = '00f067aa0ba902b7';
const record = (headers: Record<string, string>): OutboxRecord => ({
  destination: 'outbox.event.order',
  key: 'order-1',
  value: '{}',
  headers: { id: 'e-1', ...headers },
});
const idsOf = (traceparent: string | undefined) => traceparent?.split('-').slice(1, 3) ?? [];

afterEach(() => exporter.reset());
afterAll(() => provider.shutdown());

describe('outbox spans (with an SDK registered)', () => {
  it('stores the insert span, a child of the active span, as the rows traceparent', async () => {
    const request = trace.getTracer('test').startSpan('request');
    const stored = await context.with(trace.setSpan(context.active(), request), () =>
      inInsertSpan('"public"."outbox"', 1, async (headers) => headers),
    );
    request.end();
    const insert = exporter.getFinishedSpans().find((s) => s.name === 'outbox insert');
    expect(insert?.parentSpanContext?.spanId).toBe(request.spanContext().spanId);
    expect(idsOf(stored.traceparent)).toEqual([request.spanContext().traceId, insert?.spanContext().spanId]);
  });

  it('publishes each record in a child span of its row, and sends that span as the traceparent', () => {
    const row = record({ traceparent: `00-${TRACE}-${INSERT_SPAN}-01` });
    const spans = publishSpans([row]);
    spans.end([{ status: 'published' }]);
    const [publish] = exporter.getFinishedSpans();
    expect(publish.name).toBe('publish outbox.event.order');
    expect(publish.parentSpanContext?.spanId).toBe(INSERT_SPAN);
    expect(idsOf(spans.records[0].headers.traceparent)).toEqual([TRACE, publish.spanContext().spanId]);
    expect(row.headers.traceparent).toBe(`00-${TRACE}-${INSERT_SPAN}-01`); // a retry is again the insert's child
  });

  it('marks a record the broker did not take as an error', () => {
    publishSpans([record({})]).end([{ status: 'unavailable', error: 'down' }]);
    const [publish] = exporter.getFinishedSpans();
    expect(publish.status.code).toBe(2); // SpanStatusCode.ERROR
    expect(publish.attributes['outbox.publish.result']).toBe('unavailable');
  });
});
