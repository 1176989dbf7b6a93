import { Controller, Get, NotFoundException, Param, ParseUUIDPipe } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { OrderRecord } from '../order.record';
import { toOrderResponse } from '../order.response';

@Controller('orders')
export class GetOrderHttpController {
  constructor(private readonly dataSource: DataSource) {}

  @Get(':id')
  async get(@Param('id', new ParseUUIDPipe({ version: '4' })) id: string) {
    const order = await this.dataSource.getRepository(OrderRecord).findOneBy({ id });
    if (!order) throw new NotFoundException(`order ${id} not found`);
    return toOrderResponse(order);
  }
}
