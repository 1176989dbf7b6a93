import { Body, Controller, Headers, HttpCode, Post } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { ZodValidationPipe } from '@shop/service-kit';
import { toOrderResponse } from '../order.response';
import { PlaceOrderRequest, placeOrderRequestSchema } from './place-order.request';
import { PlaceOrderService } from './place-order.service';

const CORRELATION_ID = /^[\w.:-]{1,100}$/;

@Controller('orders')
export class PlaceOrderHttpController {
  constructor(private readonly placeOrder: PlaceOrderService) {}

  @Post()
  @HttpCode(201)
  async place(
    @Body(new ZodValidationPipe(placeOrderRequestSchema)) body: PlaceOrderRequest,
    @Headers('x-correlation-id') correlationHeader?: string,
  ) {
    const correlationId =
      correlationHeader && CORRELATION_ID.test(correlationHeader) ? correlationHeader : randomUUID();
    return toOrderResponse(await this.placeOrder.placeOrder(body, correlationId));
  }
}
