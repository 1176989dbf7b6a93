import { OutboxLogger } from '../logger';
import { SqlRunner } from '../outbox-sql';

/**
 * Marks rows the slot delivered; `sql` is the UPDATE of ids $1 (it gains RETURNING id).
 * PostgreSQL writes a commit to the WAL, where the slot reads it, a moment before other
 * sessions see the transaction, so the UPDATE can miss a row just streamed: what it missed is
 * marked again after 1, 2, 4… ms. Returns (and warns of) the ids still not found after about
 * `giveUpMs`: the next leadership term's start-up pass publishes them again.
 */
export async function markStreamed(
  session: SqlRunner,
  sql: string,
  ids: string[],
  { giveUpMs = 2_000, logger }: { giveUpMs?: number; logger?: OutboxLogger } = {},
): Promise<string[]> {
  let missing = ids;
  for (let waitMs = 1, waited = 0; ; waited += waitMs, waitMs *= 2) {
    const result = await session.query(`${sql} RETURNING id`, [missing]);
    // TypeORM answers an UPDATE with [rows, rowCount]; a plain pg client with the rows.
    const rows = (Array.isArray(result[0]) ? result[0] : result) as { id: string }[];
    const marked = new Set(rows.map((r) => r.id));
    missing = missing.filter((id) => !marked.has(id));
    if (missing.length > 0 && waited >= giveUpMs)
      logger?.warn('outbox logical relay: published rows not found to mark; the next term sends them again', {
        count: missing.length,
      });
    if (missing.length === 0 || waited >= giveUpMs) return missing;
    await new Promise((resolve) => setTimeout(resolve, waitMs));
  }
}
