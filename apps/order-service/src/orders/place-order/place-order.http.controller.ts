import { Body, Controller, Headers, Post, Req, Res } from '@nestjs/common';
import { ApiHeader, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiBodyFrom, badRequest, ZodValidationPipe } from '@shop/service-kit';
import { toOrderResponse } from '../order.response';
import { PlaceOrderRequest, placeOrderRequestSchema } from './place-order.request';
import { PlaceOrderService } from './place-order.service';

/** W3C trace context: version-traceid-parentid-flags. */
const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;
const IDEMPOTENCY_KEY = /^[\w.:-]{1,100}$/;

@ApiTags('orders')
@Controller('orders')
export class PlaceOrderHttpController {
  constructor(private readonly placeOrder: PlaceOrderService) {}

  @Post()
  @ApiOperation({ summary: 'Place an order; publishes order.placed.v1 through the outbox' })
  @ApiBodyFrom(placeOrderRequestSchema)
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description: 'Same key and body: the same order, no second event',
  })
  @ApiHeader({ name: 'x-correlation-id', required: false })
  @ApiResponse({ status: 201, description: 'Order placed' })
  @ApiResponse({ status: 200, description: 'Replay of an earlier request with the same Idempotency-Key' })
  @ApiResponse({ status: 400, description: 'Invalid body; `errors` names each field at fault' })
  @ApiResponse({ status: 409, description: 'Idempotency-Key already used with another body' })
  async place(
    @Body(new ZodValidationPipe(placeOrderRequestSchema)) body: PlaceOrderRequest,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) res: FastifyReply,
    @Headers('idempotency-key') idempotencyKey?: string,
    @Headers('traceparent') traceparent?: string,
  ) {
    if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
      throw badRequest([{ field: 'Idempotency-Key', message: 'must be 1-100 characters of letters, digits, _ . : -' }]);
    }
    const headers: Record<string, string> = traceparent && TRACEPARENT.test(traceparent) ? { traceparent } : {};
    const correlationId = req.id; // the correlation id (createServiceApp)
    const { order, created } = await this.placeOrder.placeOrder(body, { correlationId, headers, idempotencyKey });
    res.status(created ? 201 : 200);
    return toOrderResponse(order);
  }
}
