import { z } from 'zod';
import { ORDER_LIMITS, plainText } from '@shop/contracts';
import { totalCents } from '../domain/order';

/**
 * The HTTP body of POST /orders. Money is in integer cents; unknown fields are refused. The
 * bounds are the contract's, so an accepted order always makes a valid order.placed.v1.
 */
export const placeOrderRequestSchema = z
  .strictObject({
    customerId: plainText.trim().min(1).max(100),
    contactEmail: z.email().max(320),
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code like "EUR"')
      .default('EUR'),
    items: z
      .array(
        z.strictObject({
          sku: plainText.trim().min(1).max(64),
          quantity: z.number().int().min(1).max(ORDER_LIMITS.maxQuantity),
          unitPriceCents: z.number().int().min(0).max(ORDER_LIMITS.maxUnitPriceCents),
        }),
      )
      .min(1)
      .max(ORDER_LIMITS.maxItems),
    shippingAddress: z.strictObject({
      line1: plainText.trim().min(1).max(200),
      line2: plainText.trim().max(200).optional(),
      city: plainText.trim().min(1).max(100),
      postalCode: plainText.trim().min(1).max(20),
      country: z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code like "DE"'),
    }),
  })
  .refine((order) => totalCents(order.items) <= ORDER_LIMITS.maxTotalCents, {
    path: ['items'],
    message: `the order total (quantity × unitPriceCents, summed) must be at most ${ORDER_LIMITS.maxTotalCents} cents`,
  });

export type PlaceOrderRequest = z.infer<typeof placeOrderRequestSchema>;
