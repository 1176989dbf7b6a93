import { errorMessage } from '../logger';
import { OutboxRecord, PUBLISHED, PublishResult } from '../publisher';
import { isRecordError } from './record-errors';

export const unavailable = (err: unknown): PublishResult => ({ status: 'unavailable', error: errorMessage(err) });

/**
 * The broker refused a batch without saying which record is at fault: send record by record
 * to find it. After a refused record, the later ones with its topic and key stay unsent (the
 * port's ordering contract); after a broker error, all the rest do.
 */
export async function publishOneByOne(
  records: readonly OutboxRecord[],
  send: (record: OutboxRecord) => Promise<void>,
): Promise<PublishResult[]> {
  const results: PublishResult[] = [];
  const held = new Set<string>();
  let down: PublishResult | undefined;
  for (const record of records) {
    const key = `${record.destination}\u0000${record.key}`;
    if (down) results.push(down);
    else if (held.has(key)) results.push({ status: 'unavailable', error: 'held back by a refused record of its key' });
    else {
      try {
        await send(record);
        results.push(PUBLISHED);
      } catch (err) {
        if (isRecordError(err)) {
          held.add(key);
          results.push({ status: 'refused', error: errorMessage(err) });
        } else results.push((down = unavailable(err)));
      }
    }
  }
  return results;
}
