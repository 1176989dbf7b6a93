import { WalTransaction } from './wal-stream';

/** Transactions received from the slot and not yet published, in commit order. */
export class TransactionQueue {
  private items: WalTransaction[] = [];
  private rowCount = 0;
  private waiter?: () => void;

  get rows(): number {
    return this.rowCount;
  }

  get empty(): boolean {
    return this.items.length === 0;
  }

  push(tx: WalTransaction): void {
    this.items.push(tx);
    this.rowCount += tx.rows.length;
    this.wake();
  }

  /** Lets a waiting `take` look again (the relay stops, or the stream ended). */
  wake(): void {
    this.waiter?.();
  }

  /**
   * Whole transactions, up to `maxRows` rows (at least one transaction), once there are any;
   * undefined as soon as `stop()` says so, even with transactions queued.
   */
  async take(maxRows: number, stop: () => boolean): Promise<WalTransaction[] | undefined> {
    while (this.items.length === 0 || stop()) {
      if (stop()) return undefined;
      await new Promise<void>((resolve) => (this.waiter = resolve));
      this.waiter = undefined;
    }
    const batch: WalTransaction[] = [];
    let rows = 0;
    while (this.items.length > 0 && (batch.length === 0 || rows + this.items[0].rows.length <= maxRows)) {
      const tx = this.items.shift() as WalTransaction;
      batch.push(tx);
      rows += tx.rows.length;
    }
    this.rowCount -= rows;
    return batch;
  }

  clear(): void {
    this.items = [];
    this.rowCount = 0;
  }
}
