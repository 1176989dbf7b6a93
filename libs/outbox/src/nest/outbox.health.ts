import { HealthIndicatorService } from '@nestjs/terminus';
import type { OutboxAdmin } from '../outbox-admin';

/**
 * For diagnostics, never readiness: the outbox exists so that a backlog does not stop the
 * service. Down when the oldest pending row (parked ones apart) is older than the
 * threshold, or when rows are parked. OutboxModule provides it.
 */
export class OutboxHealthIndicator {
  readonly key = 'outbox';

  constructor(
    private readonly health: HealthIndicatorService,
    private readonly admin: Pick<OutboxAdmin, 'stats'>,
    private readonly maxAgeSeconds: number,
  ) {}

  async check() {
    const indicator = this.health.check(this.key);
    const stats = await this.admin.stats();
    const oldestPendingAgeSeconds = Math.round(stats.oldestPendingAgeSeconds);
    const problems: string[] = [];
    if (oldestPendingAgeSeconds > this.maxAgeSeconds)
      problems.push(`the oldest pending row waits for ${oldestPendingAgeSeconds} s (over ${this.maxAgeSeconds} s)`);
    if (stats.parked > 0) problems.push(`${stats.parked} parked row(s) wait for an operator`);
    const details = { pending: stats.pending, parked: stats.parked, oldestPendingAgeSeconds };
    return problems.length > 0 ? indicator.down({ ...details, problems }) : indicator.up(details);
  }
}
