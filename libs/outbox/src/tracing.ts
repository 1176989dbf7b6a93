import type * as Otel from '@opentelemetry/api';
import type { OutboxHeaders } from './outbox-event';
import type { OutboxRecord, PublishResult } from './publisher';

/**
 * `@opentelemetry/api` when the application has it (an optional peer). Spans are recorded
 * only when the application registered an SDK; otherwise every call here is a no-op.
 */
const api: typeof Otel | undefined = (() => {
  try {
    return require('@opentelemetry/api') as typeof Otel;
  } catch {
    return undefined;
  }
})();

/** A proxy: it traces through whichever SDK is registered, also one registered later. */
const tracer = api?.trace.getTracer('@transactional-outbox/outbox');

/** The trace context headers (`traceparent`…) of `span`; none when it has no valid context. */
function contextHeaders(otel: typeof Otel, span: Otel.Span): OutboxHeaders {
  const headers: OutboxHeaders = {};
  if (otel.isSpanContextValid(span.spanContext()))
    otel.propagation.inject(otel.trace.setSpan(otel.ROOT_CONTEXT, span), headers);
  return headers;
}

/**
 * Runs the outbox insert in an `outbox insert` span, a child of the active one, and gives
 * `insert` that span's trace context: the rows store it, so that the relay's publish, in
 * another transaction, perhaps another process, continues the trace.
 */
export function inInsertSpan<T>(table: string, events: number, insert: (trace: OutboxHeaders) => Promise<T>) {
  const otel = api;
  if (!otel || !tracer) return insert({});
  const attributes = { 'db.collection.name': table, 'outbox.events': events };
  return tracer.startActiveSpan('outbox insert', { attributes }, async (span) => {
    try {
      return await insert(contextHeaders(otel, span));
    } catch (err) {
      span.setStatus({ code: otel.SpanStatusCode.ERROR });
      span.setAttribute('error.type', err instanceof Error ? err.name : 'Error');
      throw err;
    } finally {
      span.end();
    }
  });
}

/**
 * A producer span per record, a child of the `traceparent` its row stored (so a row
 * written without a trace starts one). When recorded, the record sent carries the span's
 * own context instead, so that the consumers' spans become its children; the row's
 * headers are left as they are (a retry is again a child of the insert). `end` closes the
 * spans with the broker's answer.
 */
export function publishSpans(records: readonly OutboxRecord[]): {
  records: readonly OutboxRecord[];
  end(results: readonly PublishResult[] | undefined): void;
} {
  const otel = api;
  if (!otel || !tracer) return { records, end: () => undefined };
  const spans = records.map((r) =>
    tracer.startSpan(
      `publish ${r.destination}`,
      {
        kind: otel.SpanKind.PRODUCER,
        attributes: {
          'messaging.operation.type': 'send',
          'messaging.destination.name': r.destination,
          'messaging.message.id': r.headers.id,
        },
      },
      otel.propagation.extract(otel.ROOT_CONTEXT, r.headers),
    ),
  );
  const traced = records.map((r, i) => {
    const headers = contextHeaders(otel, spans[i]);
    return headers.traceparent ? { ...r, headers: { ...r.headers, ...headers } } : r;
  });
  return {
    records: traced,
    end(results) {
      for (const [i, span] of spans.entries()) {
        const status = results?.[i]?.status ?? 'unavailable';
        span.setAttribute('outbox.publish.result', status);
        if (status !== 'published') span.setStatus({ code: otel.SpanStatusCode.ERROR });
        span.end();
      }
    },
  };
}
