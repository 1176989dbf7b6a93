import { Body, Controller, Post, Req } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { ZodValidationPipe } from '@shop/service-kit';
import { toOrderResponse } from '../order.response';
import { PlaceOrderRequest, placeOrderRequestSchema } from '../place-order/place-order.request';
import { PlaceOrderNaivelyService } from './place-order-naively.service';

/** DEMO ONLY: mounted with DEMO_NAIVE_DUAL_WRITE=true, for `npm run drill` and the tutorial. */
@ApiTags('demo')
@Controller('demo/naive-orders')
export class PlaceOrderNaivelyHttpController {
  constructor(private readonly placeOrder: PlaceOrderNaivelyService) {}

  @Post()
  @ApiOperation({
    summary: 'DEMO ONLY: commit the order, then send order.placed.v1 to Kafka directly (the dual write; may lose it)',
  })
  @ApiResponse({ status: 201, description: 'Order committed; the event may or may not have reached Kafka' })
  @ApiResponse({ status: 400, description: 'Invalid body; `errors` names each field at fault' })
  async place(
    @Body(new ZodValidationPipe(placeOrderRequestSchema)) body: PlaceOrderRequest,
    @Req() req: { id?: unknown },
  ) {
    const correlationId = typeof req.id === 'string' ? req.id : String(req.id ?? '');
    return toOrderResponse(await this.placeOrder.placeOrder(body, correlationId));
  }
}
