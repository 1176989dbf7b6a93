import { SqlRunner } from '../outbox-sql';

/**
 * Marks rows the slot delivered, with `sql` an UPDATE … RETURNING id of ids $1. PostgreSQL
 * writes a commit to the WAL, where the slot reads it, a moment before other sessions see
 * the transaction, so the UPDATE can miss a row just streamed: what it missed is marked again
 * after 1, 2, 4… ms. Returns the ids still not found after about `giveUpMs` (deleted, or not
 * visible yet): the next leadership term's start-up pass publishes those again.
 */
export async function markStreamed(
  session: SqlRunner,
  sql: string,
  ids: string[],
  giveUpMs = 2_000,
): Promise<string[]> {
  let missing = ids;
  for (let waitMs = 1, waited = 0; ; waited += waitMs, waitMs *= 2) {
    const result = await session.query(sql, [missing]);
    // TypeORM answers an UPDATE with [rows, rowCount]; a plain pg client with the rows.
    const rows = (Array.isArray(result[0]) ? result[0] : result) as { id: string }[];
    const marked = new Set(rows.map((r) => r.id));
    missing = missing.filter((id) => !marked.has(id));
    if (missing.length === 0 || waited >= giveUpMs) return missing;
    await new Promise((resolve) => setTimeout(resolve, waitMs));
  }
}
