import * as lancedb from '@lancedb/lancedb';
import type { FixedSizeList, Schema } from 'apache-arrow';
import { NoTableError, StoreMismatchError } from '../../pipeline/errors.js';
import type { LanceStoreOptions } from './options.js';
import { withCommitRetry } from './retry.js';
import { LATER_COLUMNS, tableSchema } from './schema.js';

export async function openOrCreate(
  db: lancedb.Connection,
  name: string,
  schema: () => Promise<Schema>,
): Promise<lancedb.Table> {
  if ((await db.tableNames()).includes(name)) return db.openTable(name);
  try {
    return await db.createEmptyTable(name, await schema(), { mode: 'create', existOk: true });
  } catch (error) {
    // Another writer created it first with other metadata: open theirs and let the caller compare.
    if ((await db.tableNames()).includes(name)) return db.openTable(name);
    throw error;
  }
}

/** Refuses a table made for another model, dimension or metric, naming what differs and the way out. */
export function checkCompatible(
  name: string,
  existing: Schema,
  options: LanceStoreOptions,
  dimension: number | undefined,
): void {
  const vectorField = existing.fields.find((f) => f.name === 'vector');
  const existingDim = (vectorField?.type as FixedSizeList | undefined)?.listSize;
  const existingModel = existing.metadata.get('embedding_model');
  const existingMetric = existing.metadata.get('metric');
  const problems = [
    ...(dimension !== undefined && existingDim !== dimension
      ? [`${existingDim}-d vectors, configured ${dimension}-d`]
      : []),
    ...(existingModel && existingModel !== options.embeddingModel
      ? [`vectors of ${existingModel}, configured ${options.embeddingModel}`]
      : []),
    ...(existingMetric && existingMetric !== options.metric
      ? [`metric ${existingMetric}, configured VECTOR_METRIC=${options.metric}`]
      : []),
  ];
  if (problems.length > 0) {
    throw new StoreMismatchError(
      `table "${name}" holds ${problems.join('; ')}. Use the table's settings, another VECTOR_TABLE, or re-ingest.`,
    );
  }
}

/**
 * Adds the columns a table lacks, empty (null), in one schema change; rows gain values when their documents are
 * next indexed. Another writer may add them first, which is as good.
 */
export async function withColumns(table: lancedb.Table, schema: Schema, wanted: [string, string][]): Promise<Schema> {
  const missing = wanted.filter(([name]) => !schema.fields.some((f) => f.name === name));
  if (missing.length === 0) return schema;
  await withCommitRetry(() => table.addColumns(missing.map(([name, valueSql]) => ({ name, valueSql })))).catch(
    async (error: unknown) => {
      const now = await table.schema();
      if (!missing.every(([name]) => now.fields.some((f) => f.name === name))) throw error;
    },
  );
  return table.schema();
}

export function connect(options: Omit<LanceStoreOptions, 'dimension'>): Promise<lancedb.Connection> {
  return lancedb.connect(options.uri, {
    storageOptions: options.storageOptions,
    readConsistencyInterval: options.readConsistencySeconds ?? 0,
  });
}

/** Whether the chunk table exists yet. */
export async function tableExists(options: Omit<LanceStoreOptions, 'dimension'>): Promise<boolean> {
  return (await (await connect(options)).tableNames()).includes(options.table ?? 'chunks');
}

/**
 * Opens the chunk table, creating it when missing (which needs `dimension`), refusing one made for another model,
 * dimension or metric, and adding the columns of later releases unless read-only.
 */
export async function openChunkTable(options: LanceStoreOptions): Promise<{ table: lancedb.Table; schema: Schema }> {
  const db = await connect(options);
  const name = options.table ?? 'chunks';
  const dimensionOf = async (): Promise<number> => {
    const { dimension } = options;
    if (dimension === undefined)
      throw new NoTableError(`table "${name}" does not exist yet; the first ingest creates it`);
    return typeof dimension === 'number' ? dimension : dimension();
  };
  let createdWith: number | undefined;
  const table = await openOrCreate(db, name, async () => {
    createdWith = await dimensionOf();
    return tableSchema(createdWith, options.embeddingModel, options.metric);
  });
  const existing = await table.schema();
  checkCompatible(name, existing, options, typeof options.dimension === 'number' ? options.dimension : createdWith);
  const schema = options.readOnly ? existing : await withColumns(table, existing, LATER_COLUMNS);
  return { table, schema };
}
