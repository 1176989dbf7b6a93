import { z } from 'zod';

/** The HTTP body of POST /orders. Money is in integer cents; unknown fields are refused. */
export const placeOrderRequestSchema = z.strictObject({
  customerId: z.string().trim().min(1).max(100),
  contactEmail: z.email().max(320),
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code like "EUR"')
    .default('EUR'),
  items: z
    .array(
      z.strictObject({
        sku: z.string().trim().min(1).max(64),
        quantity: z.number().int().min(1).max(1000),
        unitPriceCents: z.number().int().min(0).max(10_000_000),
      }),
    )
    .min(1)
    .max(100),
  shippingAddress: z.strictObject({
    line1: z.string().trim().min(1).max(200),
    line2: z.string().trim().max(200).optional(),
    city: z.string().trim().min(1).max(100),
    postalCode: z.string().trim().min(1).max(20),
    country: z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code like "DE"'),
  }),
});

export type PlaceOrderRequest = z.infer<typeof placeOrderRequestSchema>;
