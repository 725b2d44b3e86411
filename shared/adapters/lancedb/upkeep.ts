import * as lancedb from '@lancedb/lancedb';
import { withCommitRetry } from './retry.js';
import type { Metric } from './schema.js';

/** Names of the indexed columns. */
export async function indexedColumns(table: lancedb.Table): Promise<string[]> {
  return (await table.listIndices()).flatMap((i) => i.columns);
}

/**
 * Creates the indexes the table needs when missing: full-text on `text` (BM25 retrieval) and B-tree on
 * `source_id` and `chunk` (a document's lookup, replace and delete, and listSources, read the index instead
 * of scanning the table). Rows written after an index are still found (LanceDB searches unindexed rows too)
 * and deleted rows never are; optimize() folds new rows into every index.
 */
export async function ensureIndexes(table: lancedb.Table): Promise<void> {
  const indexed = await indexedColumns(table);
  const wanted: [string, lancedb.Index][] = [
    [
      'text',
      lancedb.Index.fts({
        language: 'English',
        stem: true,
        removeStopWords: true,
        asciiFolding: true,
        withPosition: false,
      }),
    ],
    ['source_id', lancedb.Index.btree()],
    ['chunk', lancedb.Index.btree()],
  ];
  for (const [column, config] of wanted) if (!indexed.includes(column)) await createIndex(table, column, config);
}

/** Creates an index on `column`; one another writer created meanwhile is as good. */
export async function createIndex(table: lancedb.Table, column: string, config: lancedb.Index): Promise<void> {
  await withCommitRetry(() => table.createIndex(column, { config, replace: false })).catch(async (error: unknown) => {
    if (!(await indexedColumns(table)).includes(column)) throw error;
  });
}

/**
 * Compacts fragments, folds new rows into the indexes and prunes versions older than `keepVersionsMs`
 * (long enough that no running query still reads them). Every write adds files; queries slow down without it.
 */
export async function optimize(table: lancedb.Table, keepVersionsMs = 15 * 60_000): Promise<void> {
  await withCommitRetry(() => table.optimize({ cleanupOlderThan: new Date(Date.now() - keepVersionsMs) }));
}

/**
 * Builds an IVF-PQ vector index once the table has `minRows` rows (below that, exact search is fast and
 * exact). Index building takes minutes on large tables: run it from the maintenance function, not per query.
 * Returns whether an index was created.
 */
export async function ensureVectorIndex(table: lancedb.Table, metric: Metric, minRows: number): Promise<boolean> {
  if ((await indexedColumns(table)).includes('vector')) return false;
  const rows = await table.countRows();
  if (rows < minRows) return false;
  await withCommitRetry(() =>
    table.createIndex('vector', {
      config: lancedb.Index.ivfPq({ distanceType: metric, numPartitions: Math.max(1, Math.round(Math.sqrt(rows))) }),
      replace: false,
    }),
  );
  return true;
}
