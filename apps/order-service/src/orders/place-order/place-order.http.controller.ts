import { Body, Controller, Headers, HttpCode, Post } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { ZodValidationPipe } from '@shop/service-kit';
import { toOrderResponse } from '../order.response';
import { PlaceOrderRequest, placeOrderRequestSchema } from './place-order.request';
import { PlaceOrderService } from './place-order.service';

const CORRELATION_ID = /^[\w.:-]{1,100}$/;
/** W3C trace context: version-traceid-parentid-flags. */
const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

@Controller('orders')
export class PlaceOrderHttpController {
  constructor(private readonly placeOrder: PlaceOrderService) {}

  @Post()
  @HttpCode(201)
  async place(
    @Body(new ZodValidationPipe(placeOrderRequestSchema)) body: PlaceOrderRequest,
    @Headers('x-correlation-id') correlationHeader?: string,
    @Headers('traceparent') traceparent?: string,
  ) {
    const correlationId =
      correlationHeader && CORRELATION_ID.test(correlationHeader) ? correlationHeader : randomUUID();
    const trace: Record<string, string> = traceparent && TRACEPARENT.test(traceparent) ? { traceparent } : {};
    return toOrderResponse(await this.placeOrder.placeOrder(body, { correlationId, headers: trace }));
  }
}
