import * as lancedb from '@lancedb/lancedb';
import { Bool, type DataType, Field, FixedSizeList, Float32, Float64, Int32, List, Schema, Utf8 } from 'apache-arrow';
import { sha256Hex } from '../../pipeline/ingest/document.js';
import { NoTableError, StoreMismatchError, StoreUnavailableError } from '../../pipeline/errors.js';
import type { Config } from '../../wiring/config.js';
import {
  type Attributes,
  type AttributeType,
  attributeOfColumn,
  attributeTypeOf,
  columnOf,
  metadataHash,
} from '../../pipeline/metadata.js';
import type {
  ChunkInput,
  ChunkReader,
  ChunkWriter,
  SearchHit,
  SearchOptions,
  SourceWrite,
  StoredVersion,
} from '../../pipeline/ports.js';

export type Metric = 'cosine' | 'dot' | 'l2';
export type { ChunkInput, SearchHit, SearchOptions, SourceWrite } from '../../pipeline/ports.js';

export interface LanceStoreOptions {
  /** Local folder or `s3://bucket/prefix`. */
  uri: string;
  /** @default 'chunks' */
  table?: string;
  /** Embedding model id, recorded in the table so a different model cannot silently mix vectors. */
  embeddingModel: string;
  /**
   * Vector length, needed only to create the table (an existing table records its own). A function is called
   * only then, so readers of an existing table never load the embedding model.
   */
  dimension?: number | (() => Promise<number>);
  /** Must match the metric the table was created with: vectors scored with another would silently mix. */
  metric: Metric;
  /** Object-store options for `s3://` (endpoint, allowHttp, region, keys). */
  storageOptions?: Record<string, string>;
  /**
   * Seconds after which reads check for writes by other processes (ingest Lambdas); 0 checks on every
   * read (one extra object-store request per query). @default 0
   */
  readConsistencySeconds?: number;
  /**
   * Only read: never change the table's schema (the query function's role may not write). A table made before the
   * later columns is searched as it is until a writer adds them. @default false
   */
  readOnly?: boolean;
}

interface Row {
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
const CITATION_COLUMNS = ['char_start', 'char_end', 'page_first', 'page_last'] as const;

/**
 * Columns added after the first release, nullable: added to tables made before them. Citations (integers, null:
 * unknown), the metadata fingerprint (null: indexed before metadata, so the next sync re-applies it) and the tenant.
 */
const LATER_COLUMNS: [string, string][] = [
  ...CITATION_COLUMNS.map((name): [string, string] => [name, 'CAST(NULL AS INT)']),
  ['metadata_hash', 'CAST(NULL AS STRING)'],
  ['tenant', 'CAST(NULL AS STRING)'],
];

/** The columns every search returns (with every attribute column). */
const HIT_COLUMNS = ['id', 'text', 'source', 'chunk', ...CITATION_COLUMNS];

/** The Arrow type of each attribute type (as Arrow names it), and the SQL that adds such a column as null. */
const ATTRIBUTE_COLUMN: Record<AttributeType, { arrow: string; sql: string }> = {
  string: { arrow: String(new Utf8()), sql: 'CAST(NULL AS STRING)' },
  number: { arrow: String(new Float64()), sql: 'CAST(NULL AS DOUBLE)' },
  boolean: { arrow: String(new Bool()), sql: 'CAST(NULL AS BOOLEAN)' },
  'string[]': { arrow: String(new List(new Field('item', new Utf8(), true))), sql: "arrow_cast(NULL, 'List(Utf8)')" },
};

/** The attribute type an Arrow column holds, or null for a column no attribute could have made. */
function attributeTypeOfColumn(type: DataType): AttributeType | null {
  const arrow = String(type);
  const found = Object.entries(ATTRIBUTE_COLUMN).find(([, column]) => column.arrow === arrow);
  return found ? (found[0] as AttributeType) : null;
}

/**
 * Refuses a batch with an attribute whose value is not of the type `types` gives it: ingestion drops such
 * attributes first (shared/pipeline/ingest/ingest.ts), so only a race with another writer gets this far, and its retry drops it.
 */
function refuseMismatches(batch: SourceWrite[], types: Readonly<Record<string, AttributeType>>): void {
  for (const write of batch) {
    for (const [name, value] of Object.entries(write.metadata ?? {})) {
      const type = attributeTypeOf(value)!;
      if (types[name] !== type)
        throw new StoreMismatchError(`attribute "${name}" holds ${types[name]} values, not ${type}`);
    }
  }
}

/** The attribute columns of a schema, by attribute name. */
function attributeTypesOf(schema: Schema): Record<string, AttributeType> {
  const types: Record<string, AttributeType> = {};
  for (const field of schema.fields) {
    const name = attributeOfColumn(field.name);
    const type = name === null ? null : attributeTypeOfColumn(field.type);
    if (name !== null && type !== null) types[name] = type;
  }
  return types;
}

/** A row's attributes: its non-null attribute columns, lists as plain arrays. */
function metadataOf(row: Row): Attributes {
  const attributes: Attributes = {};
  for (const [column, value] of Object.entries(row)) {
    const name = attributeOfColumn(column);
    if (name === null || value === null || value === undefined) continue;
    const plain =
      typeof (value as { toArray?: unknown }).toArray === 'function' ? [...(value as Iterable<string>)] : value;
    attributes[name] = plain as Attributes[string];
  }
  return attributes;
}

/** A row's citation: its offsets in the extracted text and its pages (null where unknown). */
function citationOf(row: Row): Pick<SearchHit, 'offsets' | 'pages'> {
  const number = (value: number | null | undefined) => (value === null || value === undefined ? null : Number(value));
  const [start, end, first, last] = [row.char_start, row.char_end, row.page_first, row.page_last].map(number);
  return {
    offsets: start === null || end === null ? null : { start, end },
    pages: first === null || last === null ? null : { first, last },
  };
}

/** A search's row as a hit with `score`: its citation and its document's attributes. */
function hitOf(row: Row, score: number): SearchHit {
  const { id, text, source } = row;
  return { id, text, source, chunk: Number(row.chunk), score, ...citationOf(row), metadata: metadataOf(row) };
}

/**
 * Storage options for LanceDB's object store. The region is always set: without it Lance asks the
 * instance-metadata address first and stalls about a second per connection.
 */
export function lanceStorageOptions(store: {
  region: string;
  s3Endpoint?: string;
  accessKeyId?: string;
  secretAccessKey?: string;
}): Record<string, string> {
  const options: Record<string, string> = { region: store.region };
  if (store.s3Endpoint) {
    options.endpoint = store.s3Endpoint;
    options.allowHttp = String(store.s3Endpoint.startsWith('http://'));
    options.virtualHostedStyleRequest = 'false';
  }
  // Only explicit keys are passed; on Lambda the role's credentials (with session token) come from the environment.
  if (store.accessKeyId && store.secretAccessKey) {
    options.awsAccessKeyId = store.accessKeyId;
    options.awsSecretAccessKey = store.secretAccessKey;
  }
  return options;
}

/** LanceStore options from the configuration (everything but the dimension, which only creating a table needs). */
export function storeOptionsFrom(config: Config): Omit<LanceStoreOptions, 'dimension'> {
  return {
    uri: config.store.uri,
    table: config.store.table,
    embeddingModel: config.embedding.model,
    metric: config.embedding.metric,
    storageOptions: lanceStorageOptions(config.store),
    readConsistencySeconds: config.store.readConsistencySeconds,
  };
}

/**
 * Predicates use a hash of the source, never the source text itself, so no user-chosen key or filter
 * value is ever spliced into SQL. The hash alphabet is [0-9a-f]: safe by construction.
 */
function sourcePredicate(source: string): string {
  return `source_id = '${sha256Hex(source)}'`;
}

/** The same rule for several sources at once: `source_id IN (...)` of hex hashes. */
function sourcesPredicate(sources: string[]): string {
  return `source_id IN (${sources.map((s) => `'${sha256Hex(s)}'`).join(', ')})`;
}

/** A search's filters as one predicate: the source (by hash) and a compiled filter, both when given. */
function predicateOf(options: SearchOptions): string | undefined {
  const parts = [
    ...(options.source !== undefined ? [sourcePredicate(options.source)] : []),
    ...(options.where ? [`(${options.where})`] : []),
  ];
  return parts.length > 0 ? parts.join(' AND ') : undefined;
}

function similarity(metric: Metric, distance: number): number {
  // LanceDB distances: cosine = 1 - cos, dot = 1 - a·b, l2 = squared euclidean.
  return metric === 'l2' ? -distance : 1 - distance;
}

/**
 * Table rows for a source's chunks; ids are `<sha256(source)>:<chunk index>`, stable across re-ingests. Every
 * chunk carries the document's tenant and attributes (one column each), and null in every other attribute column
 * of `schema` (an update keeps a column the rows leave out, so an attribute the document lost must be cleared).
 */
function chunkRows({ source, contentHash, chunks, metadata = {}, tenant = null }: SourceWrite, schema: Schema) {
  const sourceId = sha256Hex(source);
  const cleared = Object.keys(attributeTypesOf(schema)).map((name) => [columnOf(name), null]);
  const given = Object.entries(metadata).map(([name, value]) => [columnOf(name), value]);
  const attributes = Object.fromEntries([...cleared, ...given]);
  const metadataHashOfRows = metadataHash(metadata, tenant);
  return chunks.map((c, chunk) => ({
    id: `${sourceId}:${chunk}`,
    text: c.text,
    vector: c.vector,
    source,
    source_id: sourceId,
    chunk,
    content_hash: contentHash,
    char_start: c.offsets?.start ?? null,
    char_end: c.offsets?.end ?? null,
    page_first: c.pages?.first ?? null,
    page_last: c.pages?.last ?? null,
    metadata_hash: metadataHashOfRows,
    tenant,
    ...attributes,
  }));
}

function tableSchema(dimension: number, embeddingModel: string, metric: Metric): Schema {
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

async function openOrCreate(
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
function checkCompatible(
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
async function withColumns(table: lancedb.Table, schema: Schema, wanted: [string, string][]): Promise<Schema> {
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

const COMMIT_RETRIES = 8;

/**
 * Whether a LanceDB error is worth another try: commit conflicts with other writers (Lance retries most
 * itself, a mergeInsert racing another may still surface one) and object-store trouble that passes
 * (throttling, 5xx, a connection cut, a read of an object the store is still replacing).
 */
export function isTransientStoreError(error: unknown): boolean {
  const message = error instanceof Error ? error.message : String(error);
  return /conflict|retryable|concurrent|Precondition|SlowDown|Service ?Unavailable|Internal ?Error|\b50[0-4]\b|connection (?:refused|reset|closed)|timed? ?out|Range started at \d+ and ended at \d+|does not have sufficient data/i.test(
    message,
  );
}

/**
 * Runs a write, retrying transient failures with jittered exponential backoff (at most COMMIT_RETRIES times);
 * `onRetry` counts them (the commit-retries metric).
 */
async function withCommitRetry<T>(operation: () => Promise<T>, onRetry: () => void = () => {}): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      if (!isTransientStoreError(error) || attempt >= COMMIT_RETRIES) throw error;
      onRetry();
      await new Promise((r) => setTimeout(r, 50 * 2 ** attempt * Math.random()));
    }
  }
}

/** Reads that fail for a passing reason become StoreUnavailableError (a 503 for callers), others stay as they are. */
async function readOrUnavailable<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (isTransientStoreError(error))
      throw new StoreUnavailableError('the vector store is temporarily unavailable', { cause: error });
    throw error;
  }
}

interface PendingWrite extends SourceWrite {
  resolve: (stored: number) => void;
  reject: (error: unknown) => void;
}

/** Most sources and rows one commit takes; the rest wait for the next. */
const MAX_SOURCES_PER_COMMIT = 256;
const MAX_ROWS_PER_COMMIT = 20_000;

/** The next commit's writes: one per source (a later write of the same source waits), within the bounds. */
function takeBatch(pending: PendingWrite[]): PendingWrite[] {
  const batch: PendingWrite[] = [];
  const sources = new Set<string>();
  let rows = 0;
  for (let i = 0; i < pending.length && batch.length < MAX_SOURCES_PER_COMMIT; ) {
    const write = pending[i]!;
    const fits = batch.length === 0 || rows + write.chunks.length <= MAX_ROWS_PER_COMMIT;
    if (sources.has(write.source) || !fits) {
      // A later write of this source must not overtake this one: it waits for the next commit too.
      sources.add(write.source);
      i++;
      continue;
    }
    batch.push(write);
    sources.add(write.source);
    rows += write.chunks.length;
    pending.splice(i, 1);
  }
  return batch;
}

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
export class LanceStore implements ChunkReader, ChunkWriter {
  readonly #table: lancedb.Table;
  #schema: Schema;
  readonly #metric: Metric;
  readonly #pending: PendingWrite[] = [];
  #committing = false;
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
    const db = await lancedb.connect(options.uri, {
      storageOptions: options.storageOptions,
      readConsistencyInterval: options.readConsistencySeconds ?? 0,
    });
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
    return new LanceStore(table, schema, options.metric);
  }

  /** Opens an existing table without knowing its model's dimension (maintenance); null when there is none. */
  static async openExisting(options: Omit<LanceStoreOptions, 'dimension'>): Promise<LanceStore | null> {
    const db = await lancedb.connect(options.uri, {
      storageOptions: options.storageOptions,
      readConsistencyInterval: options.readConsistencySeconds ?? 0,
    });
    if (!(await db.tableNames()).includes(options.table ?? 'chunks')) return null;
    return LanceStore.open(options);
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
    const settled = writes.map(
      (write) =>
        new Promise<number>((resolve, reject) => {
          this.#pending.push({ ...write, resolve, reject });
        }),
    );
    void this.#commitPending();
    return settled;
  }

  async #commitPending(): Promise<void> {
    if (this.#committing) return;
    this.#committing = true;
    try {
      while (this.#pending.length > 0) {
        const batch = takeBatch(this.#pending);
        try {
          await this.#commit(batch);
          for (const write of batch) write.resolve(write.chunks.length);
        } catch (error) {
          for (const write of batch) write.reject(error);
        }
      }
    } finally {
      this.#committing = false;
    }
  }

  /** One commit: new chunks in, changed chunks updated, each source's surplus old chunks removed. */
  async #commit(batch: PendingWrite[]): Promise<void> {
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

  /**
   * Creates the indexes the table needs when missing: full-text on `text` (BM25 retrieval) and B-tree on
   * `source_id` and `chunk` (a document's lookup, replace and delete, and listSources, read the index instead
   * of scanning the table). Rows written after an index are still found (LanceDB searches unindexed rows too)
   * and deleted rows never are; optimize() folds new rows into every index.
   */
  async ensureIndexes(): Promise<void> {
    const indexed = await this.indexedColumns();
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
    for (const [column, config] of wanted) {
      if (indexed.includes(column)) continue;
      await withCommitRetry(() => this.#table.createIndex(column, { config, replace: false })).catch(
        async (error: unknown) => {
          // Another writer created it meanwhile.
          if (!(await this.indexedColumns()).includes(column)) throw error;
        },
      );
    }
  }

  /** Every source with chunks in the table (reads one column of the first chunk of each). */
  async listSources(): Promise<string[]> {
    const rows = (await this.#table.query().where('chunk = 0').select(['source']).toArray()) as Pick<Row, 'source'>[];
    return rows.map((r) => r.source);
  }

  async count(source?: string): Promise<number> {
    return this.#table.countRows(source === undefined ? undefined : sourcePredicate(source));
  }

  /**
   * Compacts fragments, folds new rows into the indexes and prunes versions older than `keepVersionsMs`
   * (long enough that no running query still reads them). Every write adds files; queries slow down without it.
   */
  async optimize(keepVersionsMs = 15 * 60_000): Promise<void> {
    await withCommitRetry(() => this.#table.optimize({ cleanupOlderThan: new Date(Date.now() - keepVersionsMs) }));
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

  /**
   * Builds an IVF-PQ vector index once the table has `minRows` rows (below that, exact search is fast and
   * exact). Index building takes minutes on large tables: run it from the maintenance function, not per query.
   * Returns whether an index was created.
   */
  async ensureVectorIndex(minRows: number): Promise<boolean> {
    if ((await this.indexedColumns()).includes('vector')) return false;
    const rows = await this.#table.countRows();
    if (rows < minRows) return false;
    await withCommitRetry(() =>
      this.#table.createIndex('vector', {
        config: lancedb.Index.ivfPq({
          distanceType: this.#metric,
          numPartitions: Math.max(1, Math.round(Math.sqrt(rows))),
        }),
        replace: false,
      }),
    );
    return true;
  }

  /** Names of the indexed columns, for tests and monitoring. */
  async indexedColumns(): Promise<string[]> {
    return (await this.#table.listIndices()).flatMap((i) => i.columns);
  }

  /** Fragment count, for tests and monitoring. */
  async fragments(): Promise<number> {
    return (await this.#table.stats()).fragmentStats.numFragments;
  }
}
