import { Controller, Get, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { ApiQueryFrom, OperatorOnly, ZodValidationPipe } from '@shop/service-kit';
import { ShipmentRecord } from '../shipment.record';

const query = z.strictObject({ orderId: z.uuid().optional() });

@ApiTags('shipments')
@Controller('shipments')
export class ListShipmentsHttpController {
  constructor(private readonly dataSource: DataSource) {}

  @Get()
  @OperatorOnly()
  @ApiOperation({ summary: 'List shipments, newest first (at most 100)' })
  @ApiQueryFrom(query)
  list(@Query(new ZodValidationPipe(query)) q: z.infer<typeof query>) {
    return this.dataSource.getRepository(ShipmentRecord).find({
      where: q.orderId ? { orderId: q.orderId } : {},
      order: { createdAt: 'DESC' },
      take: 100,
    });
  }
}
