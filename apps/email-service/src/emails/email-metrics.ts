import { Injectable } from '@nestjs/common';
import { Gauge, register } from 'prom-client';
import { DataSource } from 'typeorm';

/**
 * Emails not sent yet, read from the table at scrape time: PENDING ones wait for a sender,
 * WAITING ones for their order's placement (alerted on when that takes too long).
 */
@Injectable()
export class EmailMetrics {
  constructor(dataSource: DataSource) {
    const read = () =>
      dataSource.query(`
        SELECT count(*) FILTER (WHERE status = 'PENDING')::int AS pending,
               count(*) FILTER (WHERE status = 'WAITING')::int AS waiting,
               coalesce(extract(epoch FROM now() - min(created_at) FILTER (WHERE status = 'WAITING')), 0)::float8
                 AS "oldestWaitingSeconds"
          FROM outgoing_emails WHERE status <> 'SENT'`) as Promise<
        [{ pending: number; waiting: number; oldestWaitingSeconds: number }]
      >;
    for (const name of ['email_unsent', 'email_waiting_oldest_age_seconds']) register.removeSingleMetric(name);
    let reading: ReturnType<typeof read> | undefined;
    // One query per scrape feeds both gauges.
    const stats = async () => {
      reading ??= read().finally(() => setTimeout(() => (reading = undefined), 100));
      return (await reading)[0];
    };
    new Gauge({
      name: 'email_unsent',
      help: 'Emails not sent yet, by status (PENDING: queued; WAITING: recipient not known yet)',
      labelNames: ['status'],
      registers: [register],
      async collect() {
        const s = await stats();
        this.set({ status: 'PENDING' }, s.pending);
        this.set({ status: 'WAITING' }, s.waiting);
      },
    });
    new Gauge({
      name: 'email_waiting_oldest_age_seconds',
      help: 'Age of the oldest email waiting for its recipient (the order placement)',
      registers: [register],
      async collect() {
        this.set((await stats()).oldestWaitingSeconds);
      },
    });
  }
}
