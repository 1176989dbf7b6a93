import { Controller, Get, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { DataSource, FindOptionsWhere } from 'typeorm';
import { z } from 'zod';
import { plainText } from '@shop/contracts';
import { ApiQueryFrom, OperatorOnly, ZodValidationPipe } from '@shop/service-kit';
import { OrderRecord } from '../order.record';
import { toOrderResponse } from '../order.response';

const listOrdersQuery = z.strictObject({
  status: z.enum(['PLACED', 'DISPATCHED', 'CANCELLED']).optional(),
  customerId: plainText.trim().min(1).max(100).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  offset: z.coerce.number().int().min(0).max(100_000).default(0),
});

@ApiTags('orders')
@Controller('orders')
export class ListOrdersHttpController {
  constructor(private readonly dataSource: DataSource) {}

  @Get()
  @OperatorOnly()
  @ApiOperation({ summary: 'List orders, newest first' })
  @ApiQueryFrom(listOrdersQuery)
  async list(@Query(new ZodValidationPipe(listOrdersQuery)) q: z.infer<typeof listOrdersQuery>) {
    const where: FindOptionsWhere<OrderRecord> = {};
    if (q.status) where.status = q.status;
    if (q.customerId) where.customerId = q.customerId;
    const [orders, total] = await this.dataSource.getRepository(OrderRecord).findAndCount({
      where,
      order: { placedAt: 'DESC', id: 'ASC' },
      take: q.limit,
      skip: q.offset,
    });
    return { items: orders.map(toOrderResponse), total, limit: q.limit, offset: q.offset };
  }
}
