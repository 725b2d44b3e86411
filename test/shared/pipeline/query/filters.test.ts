import { describe, expect, it } from 'vitest';
import {
  compileFilter,
  filterFieldsOf,
  searchFilterOf,
  type FilterField,
} from '../../../../shared/pipeline/query/filters.js';
import { FilterExpressionSchema } from '../../../../shared/api/filterSchema.js';

const FIELDS: Record<string, FilterField> = {
  source: { column: 'source', type: 'string' },
  year: { column: 'meta_year', type: 'number' },
  draft: { column: 'meta_draft', type: 'boolean' },
  tags: { column: 'meta_tags', type: 'string[]' },
};
const compile = (filter: unknown) => compileFilter(FilterExpressionSchema.parse(filter), FIELDS);

describe('compileFilter', () => {
  it('compiles each comparison to its column and a literal of its type', () => {
    expect(compile({ equals: { key: 'source', value: 'docs/a.txt' } })).toBe("`source` = 'docs/a.txt'");
    expect(compile({ notEquals: { key: 'draft', value: true } })).toBe(
      '(`meta_draft` IS NULL OR `meta_draft` <> TRUE)',
    );
    expect(compile({ greaterThan: { key: 'year', value: 2020 } })).toBe('`meta_year` > 2020');
    expect(compile({ greaterThanOrEquals: { key: 'year', value: 2020.5 } })).toBe('`meta_year` >= 2020.5');
    expect(compile({ lessThan: { key: 'year', value: -1 } })).toBe('`meta_year` < -1');
    expect(compile({ lessThanOrEquals: { key: 'year', value: 0 } })).toBe('`meta_year` <= 0');
    expect(compile({ in: { key: 'source', value: ['a', 'b'] } })).toBe("`source` IN ('a', 'b')");
    expect(compile({ notIn: { key: 'year', value: [1, 2] } })).toBe(
      '(`meta_year` IS NULL OR `meta_year` NOT IN (1, 2))',
    );
    expect(compile({ startsWith: { key: 'source', value: 'docs/eng/' } })).toBe("starts_with(`source`, 'docs/eng/')");
  });

  it('nests andAll and orAll in brackets', () => {
    const filter = {
      andAll: [
        { startsWith: { key: 'source', value: 'docs/' } },
        { orAll: [{ equals: { key: 'year', value: 2024 } }, { equals: { key: 'draft', value: false } }] },
      ],
    };
    expect(compile(filter)).toBe(
      "(starts_with(`source`, 'docs/')) AND ((`meta_year` = 2024) OR (`meta_draft` = FALSE))",
    );
  });

  it('keeps a quote in a value inside its literal', () => {
    expect(compile({ equals: { key: 'source', value: "x' OR '1'='1" } })).toBe("`source` = 'x'' OR ''1''=''1'");
  });

  it('refuses an unknown key, naming the filterable ones, and never uses the key as a column', () => {
    expect(() => compile({ equals: { key: 'text; DROP', value: 'x' } })).toThrow(
      'filter: unknown key "text; DROP"; filterable: source, year, draft, tags',
    );
    expect(() => compile({ equals: { key: 'constructor', value: 'x' } })).toThrow(/unknown key "constructor"/);
  });

  it('refuses values of another type and order comparisons or startsWith on the wrong type', () => {
    expect(() => compile({ equals: { key: 'year', value: '2020' } })).toThrow(
      'filter: "year" takes number values, got "2020"',
    );
    expect(() => compile({ greaterThan: { key: 'source', value: 'm' } })).toThrow(/greaterThan needs a number key/);
    expect(() => compile({ startsWith: { key: 'year', value: '20' } })).toThrow(/startsWith needs a string key/);
  });

  it('matches a list attribute with listContains only, and listContains only on lists', () => {
    expect(compile({ listContains: { key: 'tags', value: "q'4" } })).toBe("array_has(`meta_tags`, 'q''4')");
    expect(() => compile({ equals: { key: 'tags', value: 'x' } })).toThrow(
      'filter: "tags" is a list; use listContains',
    );
    expect(() => compile({ listContains: { key: 'source', value: 'x' } })).toThrow(
      'filter: listContains needs a list key, "source" holds string',
    );
  });

  it('bounds nesting and the number of conditions', () => {
    let deep: unknown = { equals: { key: 'year', value: 1 } };
    for (let i = 0; i < 5; i++) deep = { andAll: [deep, { equals: { key: 'year', value: 1 } }] };
    expect(() => compile(deep)).toThrow('filter: at most 5 levels');
    const wide = {
      orAll: Array.from({ length: 26 }, () => ({
        andAll: [{ equals: { key: 'year', value: 1 } }, { equals: { key: 'year', value: 2 } }],
      })),
    };
    expect(() => compileFilter(wide as never, FIELDS)).toThrow('filter: at most 50 conditions');
  });
});

describe('FilterExpressionSchema', () => {
  it('takes exactly one operator per object and at least two members in andAll / orAll', () => {
    const equals = { equals: { key: 'source', value: 'a' } };
    expect(FilterExpressionSchema.safeParse(equals).success).toBe(true);
    expect(FilterExpressionSchema.safeParse({ ...equals, notEquals: { key: 'source', value: 'b' } }).success).toBe(
      false,
    );
    expect(FilterExpressionSchema.safeParse({ andAll: [equals] }).success).toBe(false);
    expect(FilterExpressionSchema.safeParse({ equals: { key: 'source', value: Number.NaN } }).success).toBe(false);
    expect(FilterExpressionSchema.safeParse({ like: { key: 'source', value: 'a%' } }).success).toBe(false);
  });
});

describe('filterFieldsOf', () => {
  it('offers source, tenant and each attribute under its own column, never shadowing source or tenant', () => {
    expect(filterFieldsOf({ team: 'string', tags: 'string[]', source: 'number' })).toEqual({
      source: { column: 'source', type: 'string' },
      tenant: { column: 'tenant', type: 'string' },
      team: { column: 'meta_team', type: 'string' },
      tags: { column: 'meta_tags', type: 'string[]' },
    });
  });
});

describe('searchFilterOf', () => {
  it('tells a scoped caller neither which keys exist nor their types', () => {
    const same = 'filter: a key is not filterable, or not with that operator or value type';
    expect(() => searchFilterOf({ equals: { key: 'region', value: 'eu' } }, FIELDS, 'a')).toThrow(same);
    expect(() => searchFilterOf({ equals: { key: 'year', value: 'x' } }, FIELDS, 'a')).toThrow(same);
    expect(() => searchFilterOf({ equals: { key: 'region', value: 'eu' } }, FIELDS)).toThrow(/filterable: source/);
  });

  it('ANDs the tenant to every filter, so none can reach past it', () => {
    expect(searchFilterOf(undefined, FIELDS, "a'b")).toEqual({ where: "(`tenant` = 'a''b')" });
    expect(searchFilterOf({ source: 'docs/a.txt' }, FIELDS, 'a')).toEqual({
      source: 'docs/a.txt',
      where: "(`tenant` = 'a')",
    });
    const widening = { orAll: [{ equals: { key: 'year', value: 1 } }, { equals: { key: 'draft', value: true } }] };
    expect(searchFilterOf(widening, FIELDS, 'a')).toEqual({
      where: "(`tenant` = 'a') AND ((`meta_year` = 1) OR (`meta_draft` = TRUE))",
    });
  });

  it('keeps {"source": key} an exact-source filter and compiles an expression', () => {
    expect(searchFilterOf({ source: 'docs/a.txt' })).toEqual({ source: 'docs/a.txt' });
    expect(searchFilterOf(undefined)).toEqual({});
    expect(searchFilterOf({ startsWith: { key: 'source', value: 'docs/' } })).toEqual({
      where: "(starts_with(`source`, 'docs/'))",
    });
  });
});
