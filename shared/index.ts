/**
 * Public TypeScript API of the pipeline (package export "."; LangChain pieces are under "./langchain").
 * What is exported here is what README.md ("Use it from TypeScript") and docs/api.md document.
 */
export * from './api/endpointContract.js';
export * from './api/queryApi.js';
export { describeZodError, parseRequest } from './api/requests.js';
export * from './pipeline/errors.js';
export * from './api/errorResponses.js';
export { loadConfig, type Config } from './wiring/config.js';
export type {
  BatchProgress,
  ChunkInput,
  CrossEncoder,
  ScoreOptions,
  ChunkReader,
  ChunkWriter,
  DocumentReader,
  Embedder,
  SearchHit,
  SearchOptions,
} from './pipeline/ports.js';
export { chunkText, splitText, type SplitOptions } from './pipeline/ingest/splitter.js';
export { TransformersEmbedder, type TransformersEmbedderOptions } from './adapters/transformers/embedder.js';
export { LanceStore } from './adapters/lancedb/lanceStore.js';
export { lanceStorageOptions, type LanceStoreOptions } from './adapters/lancedb/options.js';
export type { Metric } from './adapters/lancedb/schema.js';
export {
  rerank,
  rankByScore,
  sigmoid,
  type RankedIndex,
} from './pipeline/rerank/crossEncoder.js';
export { LocalCrossEncoder, type LocalCrossEncoderOptions } from './adapters/transformers/localCrossEncoder.js';
export {
  SageMakerCrossEncoder,
  type SageMakerCrossEncoderOptions,
} from './adapters/sagemaker/sagemakerCrossEncoder.js';
export { pairsContentHandler, teiContentHandler, type ContentHandler } from './adapters/sagemaker/contentHandlers.js';
export {
  retrieve,
  reciprocalRankFusion,
  type RetrievalMode,
  type RetrievalOptions,
} from './pipeline/query/retrieval.js';
export {
  answerQuery,
  type QueryCandidate,
  type QueryDeps,
  type QueryRequest,
  type QueryResponse,
  type QueryResult,
} from './pipeline/query/query.js';
export type { IngestOutcome } from './pipeline/ingest/batchCommit.js';
export { indexDocument, syncDocument, type IngestDeps } from './pipeline/ingest/ingest.js';
export { configureModelHub, type ModelHubOptions } from './adapters/transformers/hub.js';
export { createServices, ingestDeps, queryDeps, type Services } from './wiring/services.js';
export { createCrossEncoder, createTokenCounter } from './wiring/crossEncoder.js';
export { createEmbedder, createLocalCrossEncoder } from './wiring/models.js';
