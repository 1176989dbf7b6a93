import { lsnToBigInt } from '../logical/lsn';

/**
 * How many seconds a replication slot is behind. PostgreSQL 15 keeps no time for a slot's
 * position, so the server's WAL position is sampled at each scrape, and a slot is as far
 * behind as the oldest sample past what it confirmed: a lower bound, to the scrape interval,
 * counted from the exporter's first scrape and at most `horizonMs` back.
 */
export class SlotLagClock {
  private samples: { at: number; lsn: bigint }[] = [];

  constructor(private readonly horizonMs = 6 * 3600_000) {}

  /** Records the server's WAL position (`pg_current_wal_lsn()`) at `at`. */
  sample(serverLsn: string, at = Date.now()): void {
    const lsn = lsnToBigInt(serverLsn);
    const last = this.samples[this.samples.length - 1];
    if (!last || lsn > last.lsn) this.samples.push({ at, lsn });
    // The newest sample beyond the horizon stays: it bounds the lag of a slot older than that.
    while (this.samples.length > 1 && at - this.samples[1].at > this.horizonMs) this.samples.shift();
  }

  /** Seconds since the server first stood past `confirmedLsn`; 0 when the slot confirmed every sample. */
  lagSeconds(confirmedLsn: string | null, now = Date.now()): number {
    const confirmed = confirmedLsn === null ? -1n : lsnToBigInt(confirmedLsn);
    const first = this.samples.find((s) => s.lsn > confirmed);
    return first ? (now - first.at) / 1000 : 0;
  }
}
