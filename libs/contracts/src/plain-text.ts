import { z } from 'zod';

const CONTROL_CHARACTER = /\p{Cc}/u;

/**
 * A string every store and wire format can carry: PostgreSQL refuses NUL in text and jsonb,
 * and a lone surrogate has no UTF-8 encoding. Requests and contracts share this rule, so a
 * forged event carrying such a string is refused by its consumers as well.
 */
export const plainText = z
  .string()
  .refine(
    (s) => s.isWellFormed() && !CONTROL_CHARACTER.test(s),
    'must be well-formed Unicode text without control characters',
  );
