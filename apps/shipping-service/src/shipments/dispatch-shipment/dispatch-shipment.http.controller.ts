import {
  Body,
  ConflictException,
  Controller,
  HttpCode,
  NotFoundException,
  Param,
  ParseUUIDPipe,
  Post,
  Req,
} from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { Outbox } from '@transactional-outbox/outbox';
import { plainText } from '@shop/contracts';
import { ApiBodyFrom, OperatorOnly, ZodValidationPipe } from '@shop/service-kit';
import { dispatchShipment, ShipmentRuleError } from '../domain/shipment';
import { toIntegrationEvent } from '../shipment-events.mapper';
import { ShipmentRecord } from '../shipment.record';

// A request without a body dispatches with the default carrier.
const dispatchRequest = z.strictObject({ carrier: plainText.trim().min(1).max(20).default('DHL') }).prefault({});

@ApiTags('shipments')
@Controller('shipments')
export class DispatchShipmentHttpController {
  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: Outbox,
  ) {}

  /** SCHEDULED → DISPATCHED with a tracking number; shipment.dispatched.v1 leaves through the outbox. */
  @Post(':id/dispatch')
  @OperatorOnly()
  @HttpCode(200)
  @ApiOperation({ summary: 'Dispatch a scheduled shipment; publishes shipment.dispatched.v1 through the outbox' })
  @ApiBodyFrom(dispatchRequest)
  @ApiResponse({ status: 200, description: 'Dispatched, with a tracking number' })
  @ApiResponse({ status: 404, description: 'No such shipment' })
  @ApiResponse({ status: 409, description: 'Already dispatched or cancelled' })
  async dispatch(
    @Param('id', new ParseUUIDPipe({ version: '4' })) id: string,
    @Body(new ZodValidationPipe(dispatchRequest)) body: z.infer<typeof dispatchRequest>,
    @Req() req: { id?: unknown },
  ) {
    return this.dataSource.transaction(async (manager) => {
      const current = await manager.findOne(ShipmentRecord, { where: { id }, lock: { mode: 'pessimistic_write' } });
      if (!current) throw new NotFoundException(`shipment ${id} not found`);
      let result: ReturnType<typeof dispatchShipment>;
      try {
        result = dispatchShipment(current, body.carrier);
      } catch (err) {
        if (err instanceof ShipmentRuleError) throw new ConflictException(err.message);
        throw err;
      }
      const { shipment, events } = result;
      await manager.update(ShipmentRecord, id, {
        status: shipment.status,
        carrier: shipment.carrier,
        trackingNumber: shipment.trackingNumber,
        dispatchedAt: shipment.dispatchedAt,
      });
      await this.outbox.add(
        events.map((e) => toIntegrationEvent(e, { correlationId: String(req.id ?? '') })),
        manager,
      );
      return { ...current, ...shipment };
    });
  }
}
