/** Public TypeScript API of the pipeline, for other services and for LangChain.js users. */
export * from './contract.js';
export * from './errors.js';
export { loadConfig, type Config } from './config.js';
export { splitText, type SplitOptions } from './splitter.js';
export { TransformersEmbedder, type Embedder, type TransformersEmbedderOptions } from './embedder.js';
export { LanceStore, lanceStorageOptions, type VectorStore, type SearchHit, type Metric } from './store.js';
export { rerank, rankByScore, sigmoid, type CrossEncoder, type RankedIndex, type ScoreOptions } from './rerank/crossEncoder.js';
export { LocalCrossEncoder, type LocalCrossEncoderOptions } from './rerank/localCrossEncoder.js';
export { SageMakerCrossEncoder, type SageMakerCrossEncoderOptions } from './rerank/sagemakerCrossEncoder.js';
export { pairsContentHandler, teiContentHandler, type ContentHandler } from './rerank/contentHandlers.js';
export { answerQuery, type QueryDeps } from './query.js';
export { indexDocument, syncDocument, type DocumentReader, type IngestDeps, type IngestOutcome } from './ingest.js';
export { CrossEncoderReranker, type CrossEncoderRerankerOptions } from './langchain/crossEncoderReranker.js';
export { ChunkRetriever, type ChunkRetrieverOptions } from './langchain/chunkRetriever.js';
export { configureModelHub, type ModelHubOptions } from './models/hub.js';
export { createServices, type Services } from './services.js';
