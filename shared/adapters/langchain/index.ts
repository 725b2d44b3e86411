/** LangChain.js building blocks (package export "./langchain"): a reranking compressor, a retriever, embeddings. */
export { CrossEncoderReranker, type CrossEncoderRerankerOptions } from './crossEncoderReranker.js';
export { ChunkRetriever, type ChunkRetrieverOptions } from './chunkRetriever.js';
export { TransformersEmbedder, type TransformersEmbedderOptions } from '../transformers/embedder.js';
