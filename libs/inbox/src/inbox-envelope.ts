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

export class PermanentMessageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermanentMessageError';
  }
}

/** Bytes → envelope, or a PermanentMessageError saying what is wrong. */
export function decodeEnvelope(value: Buffer | null): InboxEnvelope {
  if (!value || value.length === 0) throw new PermanentMessageError('empty message');
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString('utf8'));
  } catch {
    throw new PermanentMessageError('message value is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new PermanentMessageError('message value is not a JSON object');
  }
  const e = parsed as Record<string, unknown>;
  if (typeof e.id !== 'string' || !UUID.test(e.id)) throw new PermanentMessageError('envelope.id must be a uuid');
  if (typeof e.type !== 'string' || e.type.length === 0) throw new PermanentMessageError('envelope.type is missing');
  return e as unknown as InboxEnvelope;
}
