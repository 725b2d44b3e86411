import type { Config } from './config.js';
import type { CrossEncoder, Embedder, TokenCounter } from '../pipeline/ports.js';
import { TransformersEmbedder } from '../adapters/transformers/embedder.js';
import { LocalCrossEncoder } from '../adapters/transformers/localCrossEncoder.js';

/**
 * The one place models are built from the configuration (Lambdas, CLIs, endpoint). Imports nothing but
 * transformers.js, so the endpoint bundle stays free of LanceDB and the AWS SDK.
 */
export function createEmbedder(config: Config): Promise<Embedder> {
  return TransformersEmbedder.create({
    model: config.embedding.model,
    dtype: config.embedding.dtype,
    pooling: config.embedding.pooling,
    normalize: config.embedding.normalize,
    batchSize: config.embedding.batchSize,
    queryPrefix: config.embedding.queryPrefix,
    documentPrefix: config.embedding.documentPrefix,
  });
}

/** The in-process cross-encoder the configuration names (RERANKER_MODEL / _DTYPE, RERANK_BATCH_SIZE, RERANK_THREADS). */
export function createLocalCrossEncoder(config: Config): Promise<CrossEncoder & TokenCounter> {
  return LocalCrossEncoder.create({
    model: config.rerank.model,
    dtype: config.rerank.dtype,
    batchSize: config.rerank.batchSize,
    threads: config.rerank.threads,
  });
}
