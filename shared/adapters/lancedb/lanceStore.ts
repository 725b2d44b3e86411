import * as lancedb from '@lancedb/lancedb';
import type { Schema } from 'apache-arrow';
import { StoreUnavailableError } from '../../pipeline/errors.js';
import { type AttributeType, attributeTypeOf, columnOf } from '../../pipeline/metadata.js';
import type {
  ChunkInput,
  ChunkStore,
  SearchHit,
  SearchOptions,
  SourceWrite,
  StoredVersion,
  StoreUpkeep,
} from '../../pipeline/ports.js';
import { CommitQueue } from './commitBatches.js';
import { openChunkTable, tableExists, withColumns } from './migrations.js';
import type { LanceStoreOptions } from './options.js';
import { predicateOf, sourcePredicate, sourcesPredicate } from './predicates.js';
import { withCommitRetry, readOrUnavailable } from './retry.js';
import { chunkRows, citationOf, hitOf, similarity } from './rows.js';
import {
  ATTRIBUTE_COLUMN,
  attributeTypesOf,
  CITATION_COLUMNS,
  HIT_COLUMNS,
  type Metric,
  refuseMismatches,
  type Row,
} from './schema.js';
import { ensureIndexes, ensureVectorIndex, indexedColumns, optimize } from './upkeep.js';

/**
 * LanceDB table of chunks: `id, text, vector, source, source_id, chunk, content_hash`, citations, `tenant`, and a
 * `meta_<name>` column for each metadata attribute.
 * @example
 * const embedder = await TransformersEmbedder.create({ model: 'Xenova/all-MiniLM-L6-v2' });
 * // On S3: uri 's3://vectors/db' with storageOptions: lanceStorageOptions({ region: 'eu-west-1' }).
 * const store = await LanceStore.open({ uri: '.data/lancedb', embeddingModel: embedder.modelId,
 *   dimension: embedder.dimension, metric: 'cosine' });
 * const text = 'We will fight inflation.';
 * const [vector] = await embedder.embedDocuments([text]);
 * await store.replaceSource('notes.txt', 'v1', [{ text, vector }]); // 'v1': the content hash ingestion compares
 * const hits = await store.search(await embedder.embedQuery('What is the plan?'), { limit: 3 });
 * console.log(hits.map((hit) => hit.source)); // [ 'notes.txt' ]
 */
export class LanceStore implements ChunkStore, StoreUpkeep {
  readonly #table: lancedb.Table;
  #schema: Schema;
  readonly #metric: Metric;
  readonly #commits = new CommitQueue((batch) => this.#commit(batch));
  #optimizing: Promise<boolean> | null = null;
  /** Commits made and transient failures retried by this handle, for metrics. */
  readonly writeStats = { commits: 0, commitRetries: 0 };
  readonly #countRetry = () => void this.writeStats.commitRetries++;

  private constructor(table: lancedb.Table, schema: Schema, metric: Metric) {
    this.#table = table;
    this.#schema = schema;
    this.#metric = metric;
  }

  /**
   * Opens the table, creating it when missing (which needs `dimension`). A table made for another model,
   * dimension or metric is refused with StoreMismatchError.
   */
  static async open(options: LanceStoreOptions): Promise<LanceStore> {
    const { table, schema } = await openChunkTable(options);
    return new LanceStore(table, schema, options.metric);
  }

  /** Opens an existing table without knowing its model's dimension (maintenance); null when there is none. */
  static async openExisting(options: Omit<LanceStoreOptions, 'dimension'>): Promise<LanceStore | null> {
    return (await tableExists(options)) ? LanceStore.open(options) : null;
  }

  /** What each source with chunks was indexed from, in one query (a batch's lookups; source_id is indexed). */
  async sourceHashes(sources: string[]): Promise<Map<string, StoredVersion>> {
    if (sources.length === 0) return new Map();
    const rows = (await this.#table
      .query()
      .where(`${sourcesPredicate(sources)} AND chunk = 0`)
      .select(['source', 'content_hash', 'metadata_hash'])
      .toArray()) as Pick<Row, 'source' | 'content_hash' | 'metadata_hash'>[];
    return new Map(rows.map((r) => [r.source, { content: r.content_hash, metadata: r.metadata_hash ?? null }]));
  }

  async storedChunks(source: string): Promise<ChunkInput[]> {
    const rows = (await this.#table
      .query()
      .where(sourcePredicate(source))
      .select(['chunk', 'text', 'vector', ...CITATION_COLUMNS])
      .toArray()) as (Row & { vector: Iterable<number> })[];
    return rows
      .sort((a, b) => Number(a.chunk) - Number(b.chunk))
      .map((r) => ({ text: r.text, vector: [...r.vector], ...citationOf(r) }));
  }

  /**
   * The attribute columns as searches see them: LanceDB checks for other writers' commits (new columns among them)
   * as often as it does for their rows (readConsistencySeconds), and answers from memory in between.
   */
  async attributeTypes(): Promise<Record<string, AttributeType>> {
    return attributeTypesOf(await readOrUnavailable(() => this.#table.schema()));
  }

  /**
   * Adds a column for each attribute of the batch the table lacks, typed by the first write that brings it; a
   * write whose attribute has another type than its column's is refused (refuseMismatches).
   */
  async #ensureAttributeColumns(batch: SourceWrite[]): Promise<void> {
    // Read afresh: another writer may have added columns, and every row must clear the ones its document lacks.
    this.#schema = await this.#table.schema();
    const types = attributeTypesOf(this.#schema);
    const wanted = new Map<string, AttributeType>();
    for (const write of batch) {
      for (const [name, value] of Object.entries(write.metadata ?? {})) {
        if (types[name] === undefined && !wanted.has(name)) wanted.set(name, attributeTypeOf(value)!);
      }
    }
    // Before any schema change: a type of the batch against the table's, or against the batch's own first.
    refuseMismatches(batch, { ...types, ...Object.fromEntries(wanted) });
    if (wanted.size === 0) return;
    const columns = [...wanted].map(([name, type]): [string, string] => [columnOf(name), ATTRIBUTE_COLUMN[type].sql]);
    this.#schema = await withColumns(this.#table, this.#schema, columns);
    // Another writer may have added one of them first, with another type: writing ours would coerce the values.
    refuseMismatches(batch, attributeTypesOf(this.#schema));
  }

  /**
   * Writes that arrive while a commit runs (concurrent invocations in one process, a batch of documents) are
   * grouped into the next single commit, so writers in one process never race each other on the table.
   */
  replaceSource(source: string, contentHash: string, chunks: ChunkInput[]): Promise<number> {
    return this.replaceSources([{ source, contentHash, chunks }])[0]!;
  }

  /**
   * Replaces several sources together: one commit for all of them while they fit its bounds (256 sources,
   * 20,000 rows). Each promise settles with its own commit, so a caller can tell which writes failed.
   */
  replaceSources(writes: SourceWrite[]): Promise<number>[] {
    return this.#commits.add(writes);
  }

  /** One commit: new chunks in, changed chunks updated, each source's surplus old chunks removed. */
  async #commit(batch: SourceWrite[]): Promise<void> {
    const where = sourcesPredicate(batch.map((w) => w.source));
    await this.#ensureAttributeColumns(batch);
    const rows = batch.flatMap((write) => chunkRows(write, this.#schema));
    this.writeStats.commits++;
    if (rows.length === 0) {
      await withCommitRetry(() => this.#table.delete(where), this.#countRetry);
      return;
    }
    const data = lancedb.makeArrowTable(rows, { schema: this.#schema });
    await withCommitRetry(
      () =>
        this.#table
          .mergeInsert('id')
          .whenMatchedUpdateAll()
          .whenNotMatchedInsertAll()
          .whenNotMatchedBySourceDelete({ where })
          .execute(data),
      this.#countRetry,
    );
  }

  /**
   * Adds many new sources in one commit (bulk loads such as evaluation corpora). Unlike replaceSource it does
   * not remove earlier chunks: use it only for sources not yet in the table.
   */
  async addSources(sources: SourceWrite[]): Promise<number> {
    await this.#ensureAttributeColumns(sources);
    const rows = sources.flatMap((write) => chunkRows(write, this.#schema));
    if (rows.length === 0) return 0;
    await withCommitRetry(() => this.#table.add(lancedb.makeArrowTable(rows, { schema: this.#schema })));
    return rows.length;
  }

  async deleteSource(source: string): Promise<number> {
    const before = await this.#table.countRows(sourcePredicate(source));
    if (before > 0) await this.replaceSource(source, '', []);
    return before;
  }

  async search(vector: number[], options: SearchOptions): Promise<SearchHit[]> {
    let query = this.#table
      .vectorSearch(vector)
      .distanceType(this.#metric)
      .select([...(await this.#hitColumns(options)), '_distance'])
      .limit(options.limit);
    const where = predicateOf(options);
    if (where) query = query.where(where);
    const rows = (await readOrUnavailable(() => query.toArray())) as Row[];
    return rows.map((r) => hitOf(r, similarity(this.#metric, r._distance ?? 0)));
  }

  async searchText(query: string, options: SearchOptions): Promise<SearchHit[]> {
    let search = this.#table
      .query()
      .fullTextSearch(query, { columns: 'text' })
      .select([...(await this.#hitColumns(options)), '_score'])
      .limit(options.limit);
    const where = predicateOf(options);
    if (where) search = search.where(where);
    const rows = (await readOrUnavailable(() => search.toArray())) as (Row & { _score: number })[];
    return rows.map((r) => hitOf(r, r._score));
  }

  /**
   * The columns a search returns: the hit's own that the table has (one made before the citations lacks them) and
   * every attribute column. A search scoped to a tenant on a table without tenants fails as unavailable: its
   * documents get their tenants when they are next synced, and until then it must not answer across tenants.
   */
  async #hitColumns(options: SearchOptions): Promise<string[]> {
    const schema = await readOrUnavailable(() => this.#table.schema());
    const has = (name: string) => schema.fields.some((f) => f.name === name);
    if (options.where?.includes('`tenant`') && !has('tenant')) {
      throw new StoreUnavailableError(
        'the table predates tenants; the next ingest (or npm run ingest -- --reconcile) upgrades it',
      );
    }
    return [...HIT_COLUMNS.filter(has), ...Object.keys(attributeTypesOf(schema)).map(columnOf)];
  }

  /** Creates the full-text and B-tree indexes the table needs when missing (upkeep.ts). */
  ensureIndexes(): Promise<void> {
    return ensureIndexes(this.#table);
  }

  /** Every source with chunks in the table (reads one column of the first chunk of each). */
  async listSources(): Promise<string[]> {
    const rows = (await this.#table.query().where('chunk = 0').select(['source']).toArray()) as Pick<Row, 'source'>[];
    return rows.map((r) => r.source);
  }

  async count(source?: string): Promise<number> {
    return this.#table.countRows(source === undefined ? undefined : sourcePredicate(source));
  }

  /** Compacts, folds new rows into the indexes and prunes versions older than `keepVersionsMs` (upkeep.ts). */
  optimize(keepVersionsMs?: number): Promise<void> {
    return optimize(this.#table, keepVersionsMs);
  }

  /**
   * Runs optimize() once small fragments pile up; cheap to call after every write. Returns whether it ran.
   * Each search reads every fragment, so more of them cost query time (on S3 most); each compaction rewrites the
   * small fragments, so doing it more often costs ingest time: 16 measured as the balance (docs/benchmarks.md, "Growth").
   */
  async optimizeIfFragmented(maxSmallFragments = 16): Promise<boolean> {
    // Concurrent callers in one process share one compaction instead of preempting each other's.
    this.#optimizing ??= (async () => {
      const { fragmentStats } = await this.#table.stats();
      if (fragmentStats.numSmallFragments < maxSmallFragments) return false;
      await this.optimize();
      return true;
    })().finally(() => (this.#optimizing = null));
    return this.#optimizing;
  }

  /** Builds an IVF-PQ vector index once the table has `minRows` rows; whether it did (upkeep.ts). */
  ensureVectorIndex(minRows: number): Promise<boolean> {
    return ensureVectorIndex(this.#table, this.#metric, minRows);
  }

  /** Names of the indexed columns, for tests and monitoring. */
  indexedColumns(): Promise<string[]> {
    return indexedColumns(this.#table);
  }

  /** Fragment count, for tests and monitoring. */
  async fragments(): Promise<number> {
    return (await this.#table.stats()).fragmentStats.numFragments;
  }
}
