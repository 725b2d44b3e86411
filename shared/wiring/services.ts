import type { Config } from './config.js';
import { extractText } from '../adapters/extract/index.js';
import type { DocumentRules } from '../pipeline/ingest/document.js';
import type { IngestDeps } from '../pipeline/ingest/ingest.js';
import type { Log } from '../pipeline/log.js';
import { NoTableError } from '../pipeline/errors.js';
import type { ChunkReader, ChunkStore, Embedder } from '../pipeline/ports.js';
import type { QueryDeps } from '../pipeline/query/query.js';
import { createEmbedder } from './models.js';
import { once } from '../pipeline/once.js';
import { type CrossEncoderHooks, createCrossEncoder } from './crossEncoder.js';
import { LanceStore } from '../adapters/lancedb/lanceStore.js';
import type { CrossEncoder, StatusStore } from '../pipeline/ports.js';
import { LanceStatusStore } from '../adapters/lancedb/statusTable.js';
import { storeOptionsFrom } from './store.js';

/** The heavy, reusable parts of the pipeline, each created on first use and then shared. */
export interface Services {
  embedder(): Promise<Embedder>;
  store(): Promise<ChunkStore>;
  /** null when RERANK_BACKEND=none. */
  crossEncoder(): Promise<CrossEncoder | null>;
  /** The documents' statuses (the table is created on first use). */
  statuses(): Promise<StatusStore>;
}

/**
 * Builds the services for a configuration. Call at module scope in a Lambda so models and connections are
 * loaded once per container, never per event. The store opens without the embedder when its table exists.
 */
export function createServices(
  config: Config,
  options: { readOnly?: boolean; crossEncoder?: CrossEncoderHooks } = {},
): Services {
  const embedder = once(() => createEmbedder(config));
  const store = once(() =>
    LanceStore.open({
      ...storeOptionsFrom(config),
      // A reader never creates the table (the query role cannot write it): the first ingest does.
      dimension: options.readOnly ? undefined : async () => (await embedder()).dimension,
      readOnly: options.readOnly,
    }),
  );
  const crossEncoder = once(() => createCrossEncoder(config, options.crossEncoder));
  // Written by ingestion and by the documents API (pending, deleting): never read-only.
  const statuses = once(() => LanceStatusStore.open(storeOptionsFrom(config)));
  return { embedder, store, crossEncoder, statuses };
}

/** The index before anything was ingested. */
const EMPTY_INDEX: ChunkReader = {
  search: async () => [],
  searchText: async () => [],
  attributeTypes: async () => ({}),
};

/** Everything answerQuery needs, from the services and the configuration (query Lambda, CLIs). */
export async function queryDeps(services: Services, config: Config, log: Log): Promise<QueryDeps> {
  const [embedder, store, crossEncoder] = await Promise.all([
    services.embedder(),
    // Before the first ingest there is no table: an empty index answers (and the next query looks again).
    services.store().catch((error: unknown): ChunkReader => {
      if (error instanceof NoTableError) return EMPTY_INDEX;
      throw error;
    }),
    services.crossEncoder(),
  ]);
  return {
    embedder,
    store,
    crossEncoder,
    failurePolicy: config.rerank.failurePolicy,
    defaults: config.query,
    retrieval: config.retrieval,
    log,
  };
}

/** Everything indexDocument / syncDocument need, from the services and the configuration. */
export async function ingestDeps(services: Services, config: Config, log: Log): Promise<IngestDeps> {
  const [embedder, store, statuses] = await Promise.all([services.embedder(), services.store(), services.statuses()]);
  return {
    store,
    statuses,
    embedder,
    log,
    extract: extractText,
    rules: documentRules(config),
    split: { chunkSize: config.ingest.chunkSize, chunkOverlap: config.ingest.chunkOverlap },
    tenancy: config.tenancy,
  };
}

/** What a document must be to be ingested (DOCUMENT_EXTENSIONS, MAX_DOCUMENT_BYTES, …): the one place they are read. */
export function documentRules(config: Config): DocumentRules {
  return {
    extensions: config.ingest.extensions,
    maxBytes: config.ingest.maxDocumentBytes,
    maxChars: config.ingest.maxExtractedChars,
    pdf: config.ingest.pdf,
  };
}
