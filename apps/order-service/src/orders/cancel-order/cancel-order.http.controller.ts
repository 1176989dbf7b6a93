import { Body, Controller, HttpCode, Param, ParseUUIDPipe, Post, Req } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { plainText } from '@shop/contracts';
import { ApiBodyFrom, OperatorOnly, ZodValidationPipe } from '@shop/service-kit';
import { toOrderResponse } from '../order.response';
import { CancelOrderService } from './cancel-order.service';

// A request without a body is a cancel with the default reason.
const cancelOrderRequest = z
  .strictObject({ reason: plainText.trim().min(1).max(200).default('cancelled by the customer') })
  .prefault({});

@ApiTags('orders')
@Controller('orders')
export class CancelOrderHttpController {
  constructor(private readonly cancelOrder: CancelOrderService) {}

  @Post(':id/cancel')
  @OperatorOnly()
  @HttpCode(200)
  @ApiOperation({ summary: 'Cancel an order before its shipment is dispatched; publishes order.cancelled.v1' })
  @ApiBodyFrom(cancelOrderRequest)
  @ApiResponse({ status: 200, description: 'Cancelled' })
  @ApiResponse({ status: 404, description: 'No such order' })
  @ApiResponse({ status: 409, description: 'Already dispatched or cancelled' })
  async cancel(
    @Param('id', new ParseUUIDPipe({ version: '4' })) id: string,
    @Body(new ZodValidationPipe(cancelOrderRequest)) body: z.infer<typeof cancelOrderRequest>,
    @Req() req: { id?: unknown },
  ) {
    return toOrderResponse(await this.cancelOrder.cancel(id, body.reason, String(req.id ?? '')));
  }
}
