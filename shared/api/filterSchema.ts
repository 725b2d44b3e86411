import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { type Comparison, COMPARISONS, FILTER_LIMITS, type FilterExpression } from '../pipeline/query/filters.js';

// The expression is recursive (z.lazy), which the OpenAPI generator cannot walk: it is described by hand below.
extendZodWithOpenApi(z);

const Key = z.string().min(1).max(128);
const Scalar = z.union([z.string().max(FILTER_LIMITS.maxValueChars), z.number().finite(), z.boolean()]);
const Condition = z.object({ key: Key, value: Scalar }).strict();
const ListCondition = z.object({ key: Key, value: z.array(Scalar).min(1).max(FILTER_LIMITS.maxListValues) }).strict();

/** The schema of a filter expression: exactly one operator per object, `andAll`/`orAll` of at least two. */
export const FilterExpressionSchema: z.ZodType<FilterExpression> = z
  .lazy(() =>
    z.union([
      ...(Object.keys(COMPARISONS) as Comparison[]).map((op) => z.object({ [op]: Condition }).strict()),
      z.object({ in: ListCondition }).strict(),
      z.object({ notIn: ListCondition }).strict(),
      ...(['startsWith', 'listContains'] as const).map((op) =>
        z
          .object({ [op]: z.object({ key: Key, value: z.string().min(1).max(FILTER_LIMITS.maxValueChars) }).strict() })
          .strict(),
      ),
      z.object({ andAll: z.array(FilterExpressionSchema).min(2).max(FILTER_LIMITS.maxConditions) }).strict(),
      z.object({ orAll: z.array(FilterExpressionSchema).min(2).max(FILTER_LIMITS.maxConditions) }).strict(),
    ] as unknown as [z.ZodTypeAny, z.ZodTypeAny, ...z.ZodTypeAny[]]),
  )
  .openapi({
    type: 'object',
    description:
      'A Bedrock-style filter: one operator per object. Comparisons {"equals"|"notEquals"|"greaterThan"|' +
      '"greaterThanOrEquals"|"lessThan"|"lessThanOrEquals": {"key", "value"}}, {"in"|"notIn": {"key", "value": [...]}}, ' +
      '{"startsWith"|"listContains": {"key", "value"}}, and {"andAll"|"orAll": [two or more filters]}; at most 5 ' +
      'levels and 50 conditions. Keys: source, tenant, and every metadata attribute of the indexed documents ' +
      '(sidecar `<key>.metadata.json` or x-amz-meta-*). notEquals and notIn also match documents without the attribute; ' +
      'other conditions never do.',
    example: {
      andAll: [
        { equals: { key: 'team', value: 'eng' } },
        { greaterThan: { key: 'year', value: 2020 } },
        { notEquals: { key: 'source', value: 'docs/eng/old.txt' } },
      ],
    },
  }) as z.ZodType<FilterExpression>;
