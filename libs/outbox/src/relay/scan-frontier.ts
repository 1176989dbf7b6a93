/** What one run of the frontier statement (outboxSql().frontier) returns. */
export interface FrontierReading {
  /** The new frontier; null when the statement was given no settled seq. */
  from: string | null;
  /** The seq sequence's value now. */
  lastSeq: string;
  /** The transactions writing to the table now (RowExclusiveLock holders). */
  writers: string[];
}

/** One run's inputs, and the term it belongs to. */
export interface FrontierRequest {
  readonly term: number;
  /** A seq all of whose writers have ended, or null. */
  readonly settledSeq: string | null;
  /** The frontier now. */
  readonly from: string;
}

/**
 * Where claims start: a seq below which every row is published and no transaction that
 * could still add one is open (see outboxSql().frontier for the argument). A state machine
 * over the readings of the frontier statement, run one at a time, each after the last:
 *
 * 1. a reading's `lastSeq` becomes the candidate L;
 * 2. the next reading's `writers` become W, the transactions that may still hold a seq ≤ L;
 * 3. once a reading shows none of W, L is settled and the next candidate is that reading's;
 * 4. the run after that is given L and moves the frontier (to the lowest pending row, at most L + 1).
 *
 * A new leadership term starts again from the head, and drops readings of the term before.
 */
export class ScanFrontier {
  private from = '0';
  private candidate?: { lastSeq: string; writers?: string[] };
  private settledSeq: string | null = null;
  private publishedSince = false;
  private lastRunAt = -Infinity;
  private term = 0;
  private running?: Promise<void>;

  /** `intervalMs`: how often, at most, it runs while the relay publishes. */
  constructor(private readonly intervalMs = 50) {}

  /** The seq claims scan from. */
  get value(): string {
    return this.from;
  }

  /** A new leadership term: from the head, cheap once and safe whatever ran in between. */
  reset(): void {
    this.term += 1;
    this.from = '0';
    this.candidate = undefined;
    this.settledSeq = null;
  }

  /** Rows were marked published: worth a run. */
  published(): void {
    this.publishedSince = true;
  }

  /** True when a run is worth it and allowed: rows published since, none running, the interval past. */
  due(now = Date.now()): boolean {
    return this.publishedSince && !this.running && now - this.lastRunAt >= this.intervalMs;
  }

  /** Starts a run: what to pass to the statement. */
  request(now = Date.now()): FrontierRequest {
    this.publishedSince = false;
    this.lastRunAt = now;
    return { term: this.term, settledSeq: this.settledSeq, from: this.from };
  }

  /** Applies the reading of the run that `request` started. */
  apply(request: FrontierRequest, reading: FrontierReading): void {
    if (request.term !== this.term) return; // a new term started from the head meanwhile
    if (reading.from !== null) this.from = reading.from;
    this.settledSeq = null;
    const candidate = this.candidate;
    if (!candidate) this.candidate = { lastSeq: reading.lastSeq };
    else if (!candidate.writers) candidate.writers = reading.writers;
    else if (!candidate.writers.some((w) => reading.writers.includes(w))) {
      this.settledSeq = candidate.lastSeq;
      this.candidate = { lastSeq: reading.lastSeq };
    }
  }

  /**
   * One run beside the caller's work, not awaited by it. A failed run changes nothing but
   * the time of the next.
   */
  advance(read: (request: FrontierRequest) => Promise<FrontierReading>, onError: (err: unknown) => void): void {
    const request = this.request();
    this.running = read(request)
      .then((reading) => this.apply(request, reading), onError)
      .finally(() => (this.running = undefined));
  }

  /** Resolves when no run is under way. */
  async idle(): Promise<void> {
    await this.running;
  }
}
