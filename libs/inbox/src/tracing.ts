import type * as Otel from '@opentelemetry/api';
import type { ReadMessage } from './inbox-transaction';
import type { MessageHeaders } from './ports';

/**
 * `@opentelemetry/api` when the application has it (an optional peer). Spans are recorded
 * only when the application registered an SDK; otherwise `inConsumeSpan` just runs.
 */
const api: typeof Otel | undefined = (() => {
  try {
    return require('@opentelemetry/api') as typeof Otel;
  } catch {
    return undefined;
  }
})();

/** A proxy: it traces through whichever SDK is registered, also one registered later. */
const tracer = api?.trace.getTracer('@transactional-outbox/inbox');

/** Header values as text, whatever the broker gave (Kafka: Buffers; RabbitMQ: strings). */
const headerGetter: Otel.TextMapGetter<MessageHeaders> = {
  keys: (headers) => Object.keys(headers),
  get: (headers, key) => {
    const value = headers[key];
    if (value === undefined) return undefined;
    return Array.isArray(value) ? value.map(String) : String(value);
  },
};

/**
 * Where the message's trace context is: its own headers, or, from Debezium's outbox router,
 * which sends the row's `headers` column as one JSON header, inside that header.
 */
function traceCarrier(headers: MessageHeaders): MessageHeaders {
  const packed = headers.traceparent === undefined ? headers.headers : undefined;
  if (packed === undefined || Array.isArray(packed)) return headers;
  try {
    const row: unknown = JSON.parse(String(packed));
    if (typeof row !== 'object' || row === null) return headers;
    const { traceparent, tracestate } = row as Record<string, unknown>;
    return typeof traceparent === 'string'
      ? { traceparent, tracestate: typeof tracestate === 'string' ? tracestate : undefined }
      : headers;
  } catch {
    return headers; // not JSON: no context to continue
  }
}

/**
 * Runs a message's handler in a consumer span, a child of the `traceparent` the message
 * carries (see `traceCarrier`): the handler's own work (queries, an outbox insert) joins the producer's trace.
 */
export function inConsumeSpan<T>(consumer: string, read: ReadMessage, handle: () => Promise<T>): Promise<T> {
  const otel = api;
  if (!otel || !tracer) return handle();
  const { message, envelope } = read;
  const parent = otel.propagation.extract(otel.ROOT_CONTEXT, traceCarrier(message.headers), headerGetter);
  const attributes: Otel.Attributes = {
    'messaging.operation.type': 'process',
    'messaging.destination.name': message.position.topic,
    'messaging.consumer.group.name': consumer,
    'messaging.message.id': envelope.id,
    'outbox.event.type': envelope.type,
  };
  if (message.position.partition !== undefined)
    attributes['messaging.destination.partition.id'] = String(message.position.partition);
  const options = { kind: otel.SpanKind.CONSUMER, attributes };
  return tracer.startActiveSpan(`consume ${envelope.type}`, options, parent, async (span) => {
    try {
      return await handle();
    } catch (err) {
      span.setStatus({ code: otel.SpanStatusCode.ERROR });
      span.setAttribute('error.type', err instanceof Error ? err.name : 'Error');
      throw err;
    } finally {
      span.end();
    }
  });
}
