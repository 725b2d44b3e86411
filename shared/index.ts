/**
 * Public TypeScript API of the pipeline (package export "."; LangChain pieces are under "./langchain").
 * What is exported here is what README.md ("Use it from TypeScript") and docs/api.md document.
 */
export * from './contract.js';
export * from './errors.js';
export { loadConfig, type Config } from './config.js';
export type {
  ChunkInput,
  ChunkReader,
  ChunkWriter,
  DocumentReader,
  Embedder,
  SearchHit,
  SearchOptions,
} from './ports.js';
export { chunkText, splitText, type SplitOptions } from './splitter.js';
export { TransformersEmbedder, type TransformersEmbedderOptions } from './embedder.js';
export { LanceStore, lanceStorageOptions, type LanceStoreOptions, type Metric } from './store.js';
export {
  rerank,
  rankByScore,
  sigmoid,
  TokenLimitError,
  type BatchProgress,
  type CrossEncoder,
  type RankedIndex,
  type ScoreOptions,
} from './rerank/crossEncoder.js';
export { LocalCrossEncoder, type LocalCrossEncoderOptions } from './rerank/localCrossEncoder.js';
export { SageMakerCrossEncoder, type SageMakerCrossEncoderOptions } from './rerank/sagemakerCrossEncoder.js';
export { pairsContentHandler, teiContentHandler, type ContentHandler } from './rerank/contentHandlers.js';
export { retrieve, reciprocalRankFusion, type RetrievalMode, type RetrievalOptions } from './retrieval.js';
export { answerQuery, type QueryDeps } from './query.js';
export { indexDocument, syncDocument, type IngestDeps, type IngestOutcome } from './ingest.js';
export { configureModelHub, type ModelHubOptions } from './models/hub.js';
export { createServices, ingestDeps, queryDeps, type Services } from './services.js';
export { createCrossEncoder, createTokenCounter } from './rerank/fromConfig.js';
export { createEmbedder, createLocalCrossEncoder } from './models/fromConfig.js';
