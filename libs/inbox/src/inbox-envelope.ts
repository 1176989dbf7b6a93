import { PermanentMessageError } from './inbox-errors';

/** The envelope fields the inbox relies on; the rest travels untouched to the handler. */
export interface InboxEnvelope<TData = unknown> {
  id: string;
  type: string;
  aggregateType: string;
  aggregateId: string;
  occurredAt: string;
  correlationId?: string;
  causationId?: string;
  data: TData;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const MAY_HOLD_FORBIDDEN_KEY = /"(?:__proto__|constructor|prototype)"/;

/** Reasons and logs name the type: whoever wrote the message must not choose what they say. */
const EVENT_TYPE = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,199}$/;

/** Bytes → envelope, or a PermanentMessageError saying what is wrong. */
export function decodeEnvelope(value: Buffer | null, maxBytes = 512 * 1024): InboxEnvelope {
  if (!value || value.length === 0) throw new PermanentMessageError('empty message');
  if (value.length > maxBytes) throw new PermanentMessageError(`message of ${value.length} bytes exceeds ${maxBytes}`);
  const text = value.toString('utf8');
  let parsed: unknown;
  let forbidden: string | undefined;
  try {
    // Keys that reach for prototypes have no place in an event; refuse the message. Without
    // a backslash a key is spelled in the text as it decodes, so a text that spells none of
    // them needs no reviver (which costs a call per value of every message).
    parsed =
      text.includes('\\') || MAY_HOLD_FORBIDDEN_KEY.test(text)
        ? JSON.parse(text, (key, v) => {
            if (FORBIDDEN_KEYS.has(key)) forbidden = key;
            return v;
          })
        : JSON.parse(text);
  } catch {
    throw new PermanentMessageError('message value is not JSON');
  }
  if (forbidden) throw new PermanentMessageError(`message contains the forbidden key "${forbidden}"`);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new PermanentMessageError('message value is not a JSON object');
  }
  const e = parsed as Record<string, unknown>;
  if (typeof e.id !== 'string' || !UUID.test(e.id)) throw new PermanentMessageError('envelope.id must be a uuid');
  if (typeof e.type !== 'string' || e.type.length === 0) throw new PermanentMessageError('envelope.type is missing');
  if (!EVENT_TYPE.test(e.type))
    throw new PermanentMessageError(
      'envelope.type is not an event type name (letters, digits and . _ : / -, up to 200)',
    );
  return e as unknown as InboxEnvelope;
}
