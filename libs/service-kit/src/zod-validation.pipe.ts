import { BadRequestException, PipeTransform } from '@nestjs/common';
import { z } from 'zod';

export interface FieldError {
  /** Dotted path (`items.0.quantity`), a header name, or `(body)` for the body as a whole. */
  field: string;
  message: string;
}

/** The 400 every service answers for a request it refuses: `{ statusCode, message, errors }`. */
export const badRequest = (errors: FieldError[], message = 'Validation failed') =>
  new BadRequestException({ statusCode: 400, message, errors });

/**
 * Validates a request part against a zod schema: a 400 that names each field at fault,
 * e.g. `{ "message": "Validation failed", "errors": [{ "field": "items.0.quantity", … }] }`.
 */
export class ZodValidationPipe<T extends z.ZodType> implements PipeTransform<unknown, z.infer<T>> {
  constructor(private readonly schema: T) {}

  transform(value: unknown): z.infer<T> {
    const result = this.schema.safeParse(value);
    if (result.success) return result.data;
    throw badRequest(result.error.issues.map((i) => ({ field: i.path.join('.') || '(body)', message: i.message })));
  }
}
