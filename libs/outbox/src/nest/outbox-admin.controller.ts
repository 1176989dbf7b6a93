import { BadRequestException, Body, Controller, Get, HttpCode, Post, Query, Type } from '@nestjs/common';
import { OutboxAdmin } from '../outbox-admin';
import { ClaimLog } from '../relay/claim-log';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const refuse = (field: string, message: string) =>
  new BadRequestException({ statusCode: 400, message: 'Validation failed', errors: [{ field, message }] });

export interface OutboxAdminControllerOptions {
  /** Who may call it: the app's guard as a class decorator, e.g. `UseGuards(OperatorGuard)`. */
  protect: ClassDecorator;
  /** Claim times to report with each row, when the app records them (the relay's afterClaim hook). */
  claims?: ClaimLog;
}

/**
 * The outbox's operator endpoints, for any service that mounts it: one aggregate's rows with
 * their hops, the parked rows, and re-queueing them. Payloads are never returned: they may hold
 * personal data.
 */
export function outboxAdminController({ protect, claims }: OutboxAdminControllerOptions): Type<unknown> {
  @protect
  @Controller('outbox')
  class OutboxAdminController {
    constructor(private readonly admin: OutboxAdmin) {}

    @Get('rows')
    async rows(@Query('aggregateId') aggregateId: unknown) {
      if (typeof aggregateId !== 'string' || !UUID.test(aggregateId)) throw refuse('aggregateId', 'must be a uuid');
      const rows = await this.admin.rowsOf(aggregateId);
      return rows.map((r) => ({
        id: r.id,
        type: r.type,
        attempts: r.attempts,
        createdAt: r.created_at,
        claimedAt: claims?.of(r.id) ?? null,
        publishedAt: r.published_at,
        parkedAt: r.parked_at,
      }));
    }

    @Get('parked')
    async parked(@Query('limit') limit: unknown) {
      const n = limit === undefined ? 100 : Number(limit);
      if (!Number.isInteger(n) || n < 1 || n > 1000) throw refuse('limit', 'must be an integer from 1 to 1000');
      const rows = await this.admin.listParked(n);
      return rows.map((r) => ({
        id: r.id,
        aggregateType: r.aggregatetype,
        aggregateId: r.aggregateid,
        type: r.type,
        attempts: r.attempts,
        lastError: r.last_error,
        createdAt: r.created_at,
        parkedAt: r.parked_at,
      }));
    }

    @Post('parked/requeue')
    @HttpCode(200)
    async requeue(@Body() body: unknown) {
      const ids = (body as { ids?: unknown } | undefined)?.ids;
      if (ids !== undefined && !(Array.isArray(ids) && ids.length <= 1000 && ids.every((id) => UUID.test(String(id)))))
        throw refuse('ids', 'must be an array of at most 1000 uuids, or left out for all parked rows');
      return { requeued: await this.admin.requeue(ids as string[] | undefined) };
    }
  }
  return OutboxAdminController;
}
