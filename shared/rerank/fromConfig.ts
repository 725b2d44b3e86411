import type { Config } from '../config.js';
import { ConfigError } from '../errors.js';
import { createLocalCrossEncoder } from '../models/fromConfig.js';
import { loadTokenCounter } from '../models/transformersModel.js';
import type { CrossEncoder } from './crossEncoder.js';
import type { TokenCounter } from './documents.js';
import { LocalCrossEncoder } from './localCrossEncoder.js';
import { SageMakerCrossEncoder } from './sagemakerCrossEncoder.js';

/**
 * The cross-encoder of RERANK_BACKEND: in-process, a SageMaker endpoint, or none. Imports neither LanceDB nor the
 * embedder, so the rerank function's package stays small.
 */
export async function createCrossEncoder(config: Config): Promise<CrossEncoder | null> {
  switch (config.rerank.backend) {
    case 'none':
      return null;
    case 'local':
      return createLocalCrossEncoder(config);
    case 'sagemaker':
      if (!config.rerank.endpointName) {
        throw new ConfigError('SAGEMAKER_ENDPOINT_NAME is required when RERANK_BACKEND=sagemaker');
      }
      return new SageMakerCrossEncoder({
        endpointName: config.rerank.endpointName,
        endpointUrl: config.rerank.endpointUrl,
        region: config.store.region,
        contentHandler: config.rerank.contentHandler,
        maxPairsPerRequest: config.rerank.pairsPerRequest,
        concurrency: config.rerank.concurrency,
        timeoutMs: config.rerank.timeoutMs,
        maxRetries: config.rerank.maxRetries,
      });
  }
}

/**
 * What counts tokens for windowing long documents: the in-process encoder itself, or the tokenizer of
 * RERANKER_MODEL alone when the model runs behind an endpoint (set it to the endpoint's model).
 */
export async function createTokenCounter(config: Config, encoder: CrossEncoder): Promise<TokenCounter> {
  return encoder instanceof LocalCrossEncoder ? encoder : loadTokenCounter(config.rerank.model);
}
