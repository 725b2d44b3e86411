import { z } from 'zod';
import { BadRequestError } from '../pipeline/errors.js';

/** Formats a zod error as one readable line: `k: Number must be less than or equal to 100; ...`. */
export function describeZodError(error: z.ZodError): string {
  return error.issues
    .map((i) => {
      if (i.code === 'unrecognized_keys') return `unknown field(s): ${i.keys.join(', ')}`;
      const path = i.path.join('.');
      return path ? `${path}: ${i.message}` : i.message;
    })
    .join('; ');
}

/** A request validated by its schema, or a BadRequestError (400) saying what is wrong: the one rule for every API. */
export function parseRequest<T>(schema: z.ZodType<T, z.ZodTypeDef, unknown>, payload: unknown): T {
  const parsed = schema.safeParse(payload);
  if (!parsed.success) throw new BadRequestError(describeZodError(parsed.error));
  return parsed.data;
}

/** A query text: required, not blank, at most `maxChars` (the query API's and the rerank APIs' one rule). */
export function queryText(maxChars: number) {
  return z
    .string({ required_error: 'query is required', invalid_type_error: 'query must be a string' })
    .refine((q) => q.trim().length > 0, 'query must not be empty')
    .refine((q) => q.length <= maxChars, `query must be at most ${maxChars} characters`);
}
