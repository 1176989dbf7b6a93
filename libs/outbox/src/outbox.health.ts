import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { OutboxAdmin } from './outbox-admin';

export const OUTBOX_HEALTH_MAX_AGE = Symbol('OUTBOX_HEALTH_MAX_AGE');

/** Down when the oldest unpublished row is older than the threshold: the relay is not keeping up. */
@Injectable()
export class OutboxHealthIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    private readonly admin: OutboxAdmin,
    @Inject(OUTBOX_HEALTH_MAX_AGE) private readonly maxAgeSeconds: number,
  ) {}

  async check(key = 'outbox') {
    const indicator = this.health.check(key);
    const stats = await this.admin.stats();
    const details = {
      pending: stats.pending,
      parked: stats.parked,
      oldestPendingAgeSeconds: Math.round(stats.oldestPendingAgeSeconds),
    };
    return stats.oldestPendingAgeSeconds > this.maxAgeSeconds ? indicator.down(details) : indicator.up(details);
  }
}
