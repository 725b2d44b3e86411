import type { DocumentRules } from './ingest/document.js';
import type { DocumentStatus, IngestionJob, StatusQuery } from './ingest/records.js';
import type { Attributes, AttributeType } from './metadata.js';

/**
 * Every port of the pipeline: what it needs from models, the chunk store, document sources, text extraction and
 * the scoring function. Adapters implement them in shared/adapters/ (one folder per outside system) and
 * shared/wiring/ picks them from the configuration, so tests and other back ends can swap them.
 */

/**
 * Turns texts into vectors. Queries and documents are separate calls, as LangChain's `Embeddings` and LanceDB's
 * embedding functions name them, so instruction-tuned models (e5, bge) can prefix each kind differently.
 */
export interface Embedder {
  readonly modelId: string;
  /** Length of every vector. */
  readonly dimension: number;
  embedQuery(text: string): Promise<number[]>;
  /** Vectors in input order; empty input gives an empty array. */
  embedDocuments(texts: string[]): Promise<number[][]>;
}

/** Where a chunk came from in its document, for citations: character offsets in the extracted text, PDF pages. */
export interface ChunkCitation {
  /** `extractedText.slice(start, end)` is the chunk; null when it could not be located. */
  offsets: { start: number; end: number } | null;
  /** First and last page the chunk touches (PDFs); null for formats without pages. */
  pages: { first: number; last: number } | null;
}

export interface ChunkInput extends Partial<ChunkCitation> {
  text: string;
  vector: number[];
}

export interface SearchHit extends Partial<ChunkCitation> {
  id: string;
  text: string;
  source: string;
  chunk: number;
  /** Similarity, higher is better: cosine similarity, dot product, negative L2 distance, or BM25. */
  score: number;
  /** The document's metadata attributes (shared/pipeline/metadata.ts); those it lacks are absent. */
  metadata?: Attributes;
}

export interface SearchOptions {
  limit: number;
  /** Only chunks of this source (S3 key or file path). */
  source?: string;
  /** Only chunks matching this predicate: compiled by shared/pipeline/query/filters.ts (keys mapped, values quoted), never raw input. */
  where?: string;
}

/** What the store knows of its columns: the type of each metadata attribute some document has. */
export interface AttributeSchema {
  /** Every attribute with a column, by name (a recent column may take a second to show). */
  attributeTypes(): Promise<Record<string, AttributeType>>;
}

/** What the query path needs of the store: searching, nothing else. */
export interface ChunkReader extends AttributeSchema {
  search(vector: number[], options: SearchOptions): Promise<SearchHit[]>;
  /** Full-text (BM25) search over chunk text; `score` is the BM25 score. */
  searchText(query: string, options: SearchOptions): Promise<SearchHit[]>;
}

/** One source's new content: its chunks (none removes the source) and the hash ingestion compares. */
export interface SourceWrite {
  source: string;
  contentHash: string;
  chunks: ChunkInput[];
  /** Attributes every chunk carries (a column each). @default {} */
  metadata?: Attributes;
  /** The tenant every chunk belongs to (shared/pipeline/tenants.ts); null: none. @default null */
  tenant?: string | null;
}

/** What a stored source was indexed from: its content's hash and its metadata's (null: stored before metadata). */
export interface StoredVersion {
  content: string;
  metadata: string | null;
}

/** What ingestion needs of the store. */
export interface ChunkWriter extends AttributeSchema {
  /** What each source that has chunks was indexed from (one lookup for a whole batch). */
  sourceHashes(sources: string[]): Promise<Map<string, StoredVersion>>;
  /** A source's stored chunks in order, vectors included: re-written with new metadata, never re-embedded. */
  storedChunks(source: string): Promise<ChunkInput[]>;
  /**
   * Replaces each source's chunks atomically, as few commits as the batch needs (one while it fits). Each
   * promise settles with its own commit: the number of chunks now stored, or why that commit failed.
   */
  replaceSources(writes: SourceWrite[]): Promise<number>[];
  /** Creates the indexes the table needs when missing (writers call it after writing). */
  ensureIndexes(): Promise<void>;
  /** Compacts once small fragments pile up (every commit adds one); cheap to call after each batch. */
  optimizeIfFragmented(): Promise<boolean>;
  /** Chunks of one source, or of the whole table. */
  count(source?: string): Promise<number>;
  /** Every source that has chunks. */
  listSources(): Promise<string[]>;
}

/** The store a writer holds: search, write and upkeep, with the commits it made and retried (the ingest metrics). */
export interface ChunkStore extends ChunkReader, ChunkWriter, StoreUpkeep {
  readonly writeStats: { readonly commits: number; readonly commitRetries: number };
}

/** What the hourly maintenance needs of the store (docs/architecture.md, "Upkeep"). */
export interface StoreUpkeep {
  /** Data files now (each write adds one; compaction folds them). */
  fragments(): Promise<number>;
  ensureIndexes(): Promise<void>;
  /** Builds the vector index once the table has `minRows` rows; whether it did. */
  ensureVectorIndex(minRows: number): Promise<boolean>;
  optimize(): Promise<void>;
  indexedColumns(): Promise<string[]>;
}

/**
 * A document's bytes, its metadata's raw parts, and what identifies this state of it (S3: the ETags of the object
 * and of its sidecar; a file: their sizes and mtimes).
 */
export interface DocumentContent {
  bytes: Uint8Array;
  version: string;
  /** S3 user metadata (`x-amz-meta-*` without the prefix); {} where there is none. */
  userMetadata: Record<string, string>;
  /** The bytes of `<name>.metadata.json`, or null when there is none. */
  sidecar: Uint8Array | null;
}

/** Reads documents by name: an S3 bucket on AWS, the local S3 server or a folder locally. */
export interface DocumentReader {
  /**
   * The document's current content, or null when it no longer exists. `checkSize` is called with the
   * declared size before the body is read, so oversize objects are refused without downloading them.
   */
  read(name: string, checkSize: (bytes: number | undefined) => void): Promise<DocumentContent | null>;
  /**
   * The document's version now (its sidecar's included), or null when it is gone. Ingestion asks after committing, so a newer upload that
   * raced the commit (two batches holding one key at once) is caught and synced again.
   */
  version(name: string): Promise<string | null>;
}

/**
 * Runs `work` as a named stage of a request's trace (X-Ray subsegments on AWS). Shared code marks its stages
 * with it and stays free of any tracing library; `untraced` runs the work as it is.
 */
export type Span = <T>(name: string, work: () => Promise<T>) => Promise<T>;

export const untraced: Span = (_name, work) => work();

/** A (query, passage) pair, as the endpoint contract and every cross-encoder take them. */
export type Pair = [query: string, passage: string];

export interface ScoreOptions {
  /** Aborts outstanding work (remote requests, remaining model batches); the promise then rejects with its reason. */
  signal?: AbortSignal;
  /**
   * Refuses the pairs with a {@link TokenLimitError}, before any model run, when they encode to more than this
   * many tokens after truncation. Encoders that tokenize in-process honour it; remote ones leave the bound to
   * their endpoint. @default no bound
   */
  maxTokens?: number;
  /** Called after each model batch (progress reporting, tests); encoders without batches may never call it. */
  onBatch?: (progress: BatchProgress) => void;
}

/** Where a score() call stands after one model batch. */
export interface BatchProgress {
  /** Batches run so far, this one included. */
  done: number;
  /** Batches the call needs in all. */
  total: number;
}

/** Scores (query, passage) pairs: one raw logit per pair, in input order. */
export interface CrossEncoder {
  readonly name: string;
  score(pairs: Pair[], options?: ScoreOptions): Promise<number[]>;
}

/** Counts the tokens a text encodes to, without special tokens (the reranker's own tokenizer). */
export interface TokenCounter {
  countTokens(text: string): number;
  /** Positions the model accepts, special tokens included (512 for BERT). */
  readonly maxLength: number;
  /** A cheap bound, at least countTokens(text), that lets a text known to fit skip tokenisation. */
  upperBound?(text: string): number;
}

/** Scores one shard somewhere else (a concurrent invocation of the scoring function). */
export interface ShardInvoker {
  /**
   * Resolves with one score per pair, in order, or rejects with a {@link ShardError}. `deadline` (epoch ms) travels
   * with the shard; `signal` aborts the call when this side stops waiting.
   */
  invoke(pairs: Pair[], options: { deadline: number; signal: AbortSignal }): Promise<ShardResult>;
}

export interface ShardResult {
  scores: number[];
  /** The invocation's request id, for logs. */
  requestId?: string;
}

/** The formats ingestion reads: plain text (`.txt`, `.md`), HTML pages, PDFs (text layer) and Word files. */
export type DocumentFormat = 'text' | 'html' | 'pdf' | 'docx';

/** Where one PDF page's text lies in the extracted text: `text.slice(start, end)`. */
export interface PageRange {
  /** 1-based page number. */
  page: number;
  /** Offset of the page's first character; a page without text has `start === end`. */
  start: number;
  /** Offset just past the page's last character. */
  end: number;
}

/** A document's text, ready to split. */
export interface ExtractedText {
  format: DocumentFormat;
  text: string;
  /** PDFs only: every page, in order, with its range in `text`. */
  pages?: PageRange[];
}

/**
 * The text of a document, whatever its format (shared/adapters/extract/): refuses what cannot be read with an
 * UnsupportedDocumentError naming the reason, and never returns part of a document.
 */
export type TextExtractor = (name: string, bytes: Uint8Array, rules: DocumentRules) => Promise<ExtractedText>;

/** The documents' statuses: written by ingestion, read by the documents API. */
export interface StatusStore {
  /**
   * Marks documents `pending` or `deleting` in one commit (what else is known of them kept; a new one gets this
   * tenant and type) and answers what each was before, if anything.
   */
  mark(
    documents: Pick<DocumentStatus, 'source' | 'tenant' | 'contentType'>[],
    state: 'pending' | 'deleting',
    at: string,
  ): Promise<Map<string, DocumentStatus>>;
  /** Writes these statuses as they are, in one commit; `unrecorded`: none of them has a record yet. */
  record(statuses: DocumentStatus[], options?: { unrecorded?: boolean }): Promise<void>;
  /** The recorded statuses of these documents (a read, no commit), by source. */
  getMany(sources: string[]): Promise<Map<string, DocumentStatus>>;
  /** Compacts the store once writes have fragmented it (upkeep: nothing is lost if it fails); whether it did. */
  compactIfFragmented(): Promise<boolean>;
  get(source: string): Promise<DocumentStatus | null>;
  /** A page in source order, and the source to continue after (null: the last page). */
  list(query: StatusQuery): Promise<{ documents: DocumentStatus[]; next: string | null }>;
}

/** Ingestion jobs' records: one job at a time per tenant, a lock S3's conditional write keeps. */
export interface JobStore {
  /** Records a new job and takes its tenant's lock; answers the job that holds it instead, if one runs. */
  start(job: IngestionJob): Promise<{ started: true } | { started: false; running: IngestionJob }>;
  get(id: string): Promise<IngestionJob | null>;
  /** Writes the job's progress (its record also says it is alive). */
  save(job: IngestionJob): Promise<void>;
  /** Writes the job's last state and releases its tenant's lock. */
  finish(job: IngestionJob): Promise<void>;
}
