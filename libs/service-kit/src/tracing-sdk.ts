import { ZipkinExporter } from '@opentelemetry/exporter-zipkin';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { IncomingMessage } from 'node:http';

export interface TracingSdk {
  shutdown(): Promise<void>;
}

/** Probes and scrapes would each make a trace of their own, drowning the orders'. */
const UNTRACED_PATHS = /^\/(health|metrics)(\/|\?|$)/;

/**
 * HTTP and pg are instrumented; the brokers are not: the outbox relay and the inbox make
 * the publish and consume spans themselves, from the `traceparent` the outbox row carries
 * (a kafkajs or amqplib instrumentation would overwrite it with the relay loop's context).
 * No bodies, headers or statement parameters are recorded (personal data).
 */
export function startTracingSdk(serviceName: string, spansUrl: string): TracingSdk {
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': serviceName }),
    spanProcessors: [new BatchSpanProcessor(new ZipkinExporter({ url: spansUrl }), { scheduledDelayMillis: 1000 })],
  });
  provider.register(); // the async-hooks context manager and the W3C trace context propagator
  const unregister = registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (req: IncomingMessage) => UNTRACED_PATHS.test(req.url ?? ''),
        requireParentforOutgoingSpans: true,
      }),
      // Only queries inside a span: the relay's polling would otherwise be a trace a second.
      new PgInstrumentation({ requireParentSpan: true, enhancedDatabaseReporting: false }),
    ],
  });
  return {
    async shutdown() {
      unregister();
      await provider.shutdown(); // flushes the batch processor
    },
  };
}
