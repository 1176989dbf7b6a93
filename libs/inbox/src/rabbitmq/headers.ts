import { MessageHeaders } from '../ports';

/**
 * AMQP header values as the port carries them: strings and bytes as they are, numbers and
 * booleans as strings, tables and arrays (e.g. the broker's `x-death`) as JSON.
 */
export function toMessageHeaders(headers: Record<string, unknown> | undefined): MessageHeaders {
  const out: MessageHeaders = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined || value === null) continue;
    out[name] = typeof value === 'string' || Buffer.isBuffer(value) ? value : asText(value);
  }
  return out;
}

const asText = (value: unknown): string => (typeof value === 'object' ? JSON.stringify(value) : String(value));
