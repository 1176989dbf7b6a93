import type { PendingRow } from '../outbox-sql';

/**
 * When the relay claimed each row, for an operator's view: a claim is a plain SELECT, so the
 * table records nothing of it. Bounded: the oldest entries go first once `capacity` is reached.
 * Feed it from the relay's `afterClaim` hook.
 */
export class ClaimLog {
  private readonly claimedAt = new Map<string, Date>();

  constructor(private readonly capacity = 10_000) {}

  record(rows: readonly Pick<PendingRow, 'id'>[], at = new Date()): void {
    for (const { id } of rows) {
      // A row claimed again (after a failure) keeps its first claim: the flow's first hop.
      if (this.claimedAt.has(id)) continue;
      this.claimedAt.set(id, at);
      if (this.claimedAt.size > this.capacity) this.claimedAt.delete(this.claimedAt.keys().next().value as string);
    }
  }

  of(id: string): Date | undefined {
    return this.claimedAt.get(id);
  }
}
