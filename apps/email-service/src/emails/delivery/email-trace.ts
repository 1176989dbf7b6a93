import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { EmailKind } from '../outgoing-email.record';

/** W3C trace context, version 00: what the column holds (anything else is not stored). */
const TRACEPARENT = /^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

/** The active span's `traceparent` (the inbox's consume span), or null without tracing. */
export function activeTraceparent(): string | null {
  const carrier: { traceparent?: string } = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent && TRACEPARENT.test(carrier.traceparent) ? carrier.traceparent : null;
}

/**
 * The SMTP send in a client span, a child of the context stored with the email: sent
 * later, by a dispatcher loop that has no trace of its own, it still joins the order's trace.
 * Neither the recipient nor the content is recorded.
 */
export function inSendSpan<T>(
  email: { kind: EmailKind; orderId: string; traceparent: string | null },
  send: () => Promise<T>,
): Promise<T> {
  const parent = email.traceparent
    ? propagation.extract(ROOT_CONTEXT, { traceparent: email.traceparent })
    : ROOT_CONTEXT;
  const attributes = { 'email.kind': email.kind, 'order.id': email.orderId };
  return trace
    .getTracer('email-service')
    .startActiveSpan('smtp send', { kind: SpanKind.CLIENT, attributes }, parent, async (span) => {
      try {
        return await send();
      } catch (err) {
        span.setStatus({ code: SpanStatusCode.ERROR });
        throw err;
      } finally {
        span.end();
      }
    });
}
