import type { TracingSdk } from './tracing-sdk';

let sdk: TracingSdk | undefined;

/**
 * Starts OpenTelemetry tracing when ZIPKIN_URL is set (e.g. http://127.0.0.1:9411), spans
 * exported to its /api/v2/spans; without it nothing is loaded. Call it before anything else
 * is required: the instrumentations patch `http` and `pg` as they load, so a module
 * required earlier would go untraced. An invalid URL stops the service at start.
 */
export function startTracing(serviceName: string, env: NodeJS.ProcessEnv = process.env): void {
  const raw = env.ZIPKIN_URL;
  if (!raw || sdk) return;
  const url = URL.canParse(raw) ? new URL(raw) : undefined;
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    console.error(
      `${serviceName}: invalid configuration:\n  - ZIPKIN_URL: must be an http(s) URL, e.g. http://127.0.0.1:9411`,
    );
    process.exit(1);
  }
  // Loaded here only: a service without ZIPKIN_URL never loads the SDK.
  const { startTracingSdk } = require('./tracing-sdk') as typeof import('./tracing-sdk');
  sdk = startTracingSdk(serviceName, new URL('/api/v2/spans', url).href);
}

/** Exports the spans still buffered and stops tracing; nothing to do when it never started. */
export async function stopTracing(): Promise<void> {
  const running = sdk;
  sdk = undefined;
  await running?.shutdown();
}
