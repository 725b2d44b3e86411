import { BadRequestError } from '../errors.js';
import { type AttributeType, columnOf } from '../metadata.js';

/**
 * Query filters as Amazon Bedrock Knowledge Bases writes them (`{"equals": {"key": "source", "value": "…"}}`,
 * `andAll`, `orAll`, …), compiled to a LanceDB (DataFusion SQL) predicate. Keys are looked up in a table of
 * filterable attributes and mapped to their column — never spliced — and values become SQL literals by
 * construction (strings quoted with inner quotes doubled, numbers only when finite).
 */

/** A filterable attribute: its column and the type of its values. */
export interface FilterField {
  column: string;
  type: AttributeType;
}

/** What every filter may name: the document's key and its tenant (shared/pipeline/tenants.ts). */
export const DEFAULT_FILTER_FIELDS: Readonly<Record<string, FilterField>> = {
  source: { column: 'source', type: 'string' },
  tenant: { column: 'tenant', type: 'string' },
};

/** The filterable keys of a table: the default ones and each metadata attribute it has a column for. */
export function filterFieldsOf(attributeTypes: Record<string, AttributeType>): Record<string, FilterField> {
  const fields: Record<string, FilterField> = { ...DEFAULT_FILTER_FIELDS };
  for (const [name, type] of Object.entries(attributeTypes)) {
    // hasOwn: an attribute may be named like an Object.prototype member (`constructor`).
    if (!Object.hasOwn(fields, name)) fields[name] = { column: columnOf(name), type };
  }
  return fields;
}

/** A column as SQL: quoted, since attribute names may hold `-` or capitals (shared/pipeline/metadata.ts bars backticks). */
const sqlColumn = (column: string): string => `\`${column}\``;

/** Most conditions and nesting one filter may have (a filter is a request input: bounded like the others). */
export const FILTER_LIMITS = { maxConditions: 50, maxDepth: 5, maxListValues: 100, maxValueChars: 1024 };

export const COMPARISONS = {
  equals: '=',
  notEquals: '<>',
  greaterThan: '>',
  greaterThanOrEquals: '>=',
  lessThan: '<',
  lessThanOrEquals: '<=',
} as const;
export type Comparison = keyof typeof COMPARISONS;

/** A value a condition compares with. */
export type Scalar = string | number | boolean;
interface Condition {
  key: string;
  value: Scalar;
}
interface ListCondition {
  key: string;
  value: Scalar[];
}

export type FilterExpression =
  | { [K in Comparison]: { [P in K]: Condition } }[Comparison]
  | { in: ListCondition }
  | { notIn: ListCondition }
  | { startsWith: { key: string; value: string } }
  | { listContains: { key: string; value: string } }
  | { andAll: FilterExpression[] }
  | { orAll: FilterExpression[] };

/** A value as a SQL literal of the field's type (a list field's items are strings); else the caller's mistake (400). */
function literal(value: Scalar, field: FilterField, key: string): string {
  const stringy = field.type === 'string' || field.type === 'string[]';
  if (stringy && typeof value === 'string') return `'${value.replaceAll("'", "''")}'`;
  if (field.type === 'number' && typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (field.type === 'boolean' && typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  throw new BadRequestError(`filter: "${key}" takes ${field.type} values, got ${JSON.stringify(value)}`);
}

/**
 * Compiles a filter to a predicate over `fields`' columns.
 * @throws BadRequestError for an unknown key, a value of the wrong type, or a filter past FILTER_LIMITS.
 */
export function compileFilter(
  filter: FilterExpression,
  fields: Readonly<Record<string, FilterField>> = DEFAULT_FILTER_FIELDS,
): string {
  let conditions = 0;
  const fieldOf = (key: string): FilterField => {
    if (++conditions > FILTER_LIMITS.maxConditions) {
      throw new BadRequestError(`filter: at most ${FILTER_LIMITS.maxConditions} conditions`);
    }
    if (!Object.hasOwn(fields, key)) {
      throw new BadRequestError(`filter: unknown key "${key}"; filterable: ${Object.keys(fields).join(', ')}`);
    }
    return fields[key]!;
  };
  const compile = (node: FilterExpression, depth: number): string => {
    if (depth > FILTER_LIMITS.maxDepth) throw new BadRequestError(`filter: at most ${FILTER_LIMITS.maxDepth} levels`);
    const [op, arg] = Object.entries(node)[0] as [string, unknown];
    if (op === 'andAll' || op === 'orAll') {
      const parts = (arg as FilterExpression[]).map((child) => `(${compile(child, depth + 1)})`);
      return parts.join(op === 'andAll' ? ' AND ' : ' OR ');
    }
    const { key, value } = arg as { key: string; value: Scalar | Scalar[] };
    const field = fieldOf(key);
    const column = sqlColumn(field.column);
    const needs = (type: AttributeType, what: string) => {
      if (field.type !== type)
        throw new BadRequestError(`filter: ${op} needs ${what} key, "${key}" holds ${field.type}`);
    };
    if (op === 'listContains') {
      needs('string[]', 'a list');
      return `array_has(${column}, ${literal(value as Scalar, field, key)})`;
    }
    if (field.type === 'string[]') throw new BadRequestError(`filter: "${key}" is a list; use listContains`);
    // A document without the attribute is "not equal" to any value: SQL would drop it (NULL), so say so.
    if (op === 'in' || op === 'notIn') {
      const list = (value as Scalar[]).map((v) => literal(v, field, key)).join(', ');
      return op === 'in' ? `${column} IN (${list})` : `(${column} IS NULL OR ${column} NOT IN (${list}))`;
    }
    if (op === 'startsWith') {
      needs('string', 'a string');
      return `starts_with(${column}, ${literal(value as Scalar, field, key)})`;
    }
    const sql = COMPARISONS[op as Comparison];
    if (sql !== '=' && sql !== '<>') needs('number', 'a number');
    const condition = `${column} ${sql} ${literal(value as Scalar, field, key)}`;
    return sql === '<>' ? `(${column} IS NULL OR ${condition})` : condition;
  };
  return compile(filter, 1);
}

/** Whether a request's filter is an expression (over keys the caller must look up), not `{"source": key}`. */
export function isFilterExpression(
  filter: { source?: string } | FilterExpression | undefined,
): filter is FilterExpression {
  return filter !== undefined && !('source' in filter) && Object.keys(filter).length > 0;
}

/**
 * A filter compiled for a caller scoped to `tenant`: the table's keys are every tenant's attribute names, so an
 * unknown key and a value of another type get one answer that tells neither which keys exist nor their types.
 */
function scopedCompile(filter: FilterExpression, fields: Readonly<Record<string, FilterField>>, tenant: string | null) {
  if (tenant === null) return compileFilter(filter, fields);
  try {
    return compileFilter(filter, fields);
  } catch (error) {
    if (error instanceof BadRequestError && !/^filter: at most/.test(error.message)) {
      throw new BadRequestError('filter: a key is not filterable, or not with that operator or value type');
    }
    throw error;
  }
}

/**
 * A request's filter as the store takes it, scoped to `tenant` when there is one: `{"source": key}` stays an
 * exact-source filter (matched by hash), an expression becomes a compiled predicate, and the tenant's condition is
 * ANDed to it, so no filter can reach past it.
 */
export function searchFilterOf(
  filter: { source?: string } | FilterExpression | undefined,
  fields: Readonly<Record<string, FilterField>> = DEFAULT_FILTER_FIELDS,
  tenant: string | null = null,
): { source?: string; where?: string } {
  const scope = tenant === null ? [] : [compileFilter({ equals: { key: 'tenant', value: tenant } })];
  const bySource = filter !== undefined && !isFilterExpression(filter);
  const expression = isFilterExpression(filter) ? [scopedCompile(filter, fields, tenant)] : [];
  const where = [...scope, ...expression].map((p) => `(${p})`).join(' AND ');
  return {
    ...(bySource ? { source: (filter as { source?: string }).source } : {}),
    ...(where ? { where } : {}),
  };
}
