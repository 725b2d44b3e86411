import { Bool, type DataType, Field, FixedSizeList, Float32, Float64, Int32, List, Schema, Utf8 } from 'apache-arrow';
import { StoreMismatchError } from '../../pipeline/errors.js';
import { type AttributeType, attributeOfColumn, attributeTypeOf } from '../../pipeline/metadata.js';
import type { SourceWrite } from '../../pipeline/ports.js';

export type Metric = 'cosine' | 'dot' | 'l2';

export interface Row {
  id: string;
  text: string;
  source: string;
  source_id: string;
  chunk: number;
  content_hash: string;
  char_start: number | null;
  char_end: number | null;
  page_first: number | null;
  page_last: number | null;
  metadata_hash: string | null;
  tenant: string | null;
  _distance?: number;
  [attributeColumn: string]: unknown;
}

/** Citation columns, nullable: added to tables made before them (their rows read as unknown). */
export const CITATION_COLUMNS = ['char_start', 'char_end', 'page_first', 'page_last'] as const;

/**
 * Columns added after the first release, nullable: added to tables made before them. Citations (integers, null:
 * unknown), the metadata fingerprint (null: indexed before metadata, so the next sync re-applies it) and the tenant.
 */
export const LATER_COLUMNS: [string, string][] = [
  ...CITATION_COLUMNS.map((name): [string, string] => [name, 'CAST(NULL AS INT)']),
  ['metadata_hash', 'CAST(NULL AS STRING)'],
  ['tenant', 'CAST(NULL AS STRING)'],
];

/** The columns every search returns (with every attribute column). */
export const HIT_COLUMNS = ['id', 'text', 'source', 'chunk', ...CITATION_COLUMNS];

/** The Arrow type of each attribute type (as Arrow names it), and the SQL that adds such a column as null. */
export const ATTRIBUTE_COLUMN: Record<AttributeType, { arrow: string; sql: string }> = {
  string: { arrow: String(new Utf8()), sql: 'CAST(NULL AS STRING)' },
  number: { arrow: String(new Float64()), sql: 'CAST(NULL AS DOUBLE)' },
  boolean: { arrow: String(new Bool()), sql: 'CAST(NULL AS BOOLEAN)' },
  'string[]': { arrow: String(new List(new Field('item', new Utf8(), true))), sql: "arrow_cast(NULL, 'List(Utf8)')" },
};

/** The attribute type an Arrow column holds, or null for a column no attribute could have made. */
export function attributeTypeOfColumn(type: DataType): AttributeType | null {
  const arrow = String(type);
  const found = Object.entries(ATTRIBUTE_COLUMN).find(([, column]) => column.arrow === arrow);
  return found ? (found[0] as AttributeType) : null;
}

/**
 * Refuses a batch with an attribute whose value is not of the type `types` gives it: ingestion drops such
 * attributes first (shared/pipeline/ingest/ingest.ts), so only a race with another writer gets this far, and its retry drops it.
 */
export function refuseMismatches(batch: SourceWrite[], types: Readonly<Record<string, AttributeType>>): void {
  for (const write of batch) {
    for (const [name, value] of Object.entries(write.metadata ?? {})) {
      const type = attributeTypeOf(value)!;
      if (types[name] !== type)
        throw new StoreMismatchError(`attribute "${name}" holds ${types[name]} values, not ${type}`);
    }
  }
}

/** The attribute columns of a schema, by attribute name. */
export function attributeTypesOf(schema: Schema): Record<string, AttributeType> {
  const types: Record<string, AttributeType> = {};
  for (const field of schema.fields) {
    const name = attributeOfColumn(field.name);
    const type = name === null ? null : attributeTypeOfColumn(field.type);
    if (name !== null && type !== null) types[name] = type;
  }
  return types;
}

export function tableSchema(dimension: number, embeddingModel: string, metric: Metric): Schema {
  return new Schema(
    [
      new Field('id', new Utf8(), false),
      new Field('text', new Utf8(), false),
      new Field('vector', new FixedSizeList(dimension, new Field('item', new Float32(), true)), false),
      new Field('source', new Utf8(), false),
      new Field('source_id', new Utf8(), false),
      new Field('chunk', new Int32(), false),
      new Field('content_hash', new Utf8(), false),
      ...CITATION_COLUMNS.map((name) => new Field(name, new Int32(), true)),
      new Field('metadata_hash', new Utf8(), true),
      new Field('tenant', new Utf8(), true),
    ],
    new Map([
      ['embedding_model', embeddingModel],
      ['metric', metric],
    ]),
  );
}
