import type { Config } from './config.js';
import { ConfigError } from '../pipeline/errors.js';
import { createLocalCrossEncoder } from './models.js';
import { loadTokenCounter } from '../adapters/transformers/transformersModel.js';
import type { Log } from '../pipeline/log.js';
import { FanOutCrossEncoder, type ShardOutcome } from '../pipeline/rerank/fanOutCrossEncoder.js';
import { LambdaShardInvoker } from '../adapters/lambda/lambdaShardInvoker.js';
import { LocalCrossEncoder } from '../adapters/transformers/localCrossEncoder.js';
import { SageMakerCrossEncoder } from '../adapters/sagemaker/sagemakerCrossEncoder.js';
import type { CrossEncoder, TokenCounter } from '../pipeline/ports.js';

/** Where a fanned-out cross-encoder reports (the function's logger and metrics). */
export interface CrossEncoderHooks {
  log?: Log;
  onShard?: (outcome: ShardOutcome) => void;
}

/**
 * The cross-encoder of RERANK_BACKEND: in-process (fanned out over the scoring function when SCORING_FUNCTION_NAME
 * and RERANK_FANOUT say so), a SageMaker endpoint, or none. Imports neither LanceDB nor the embedder, so the rerank
 * function's package stays small.
 */
export async function createCrossEncoder(config: Config, hooks: CrossEncoderHooks = {}): Promise<CrossEncoder | null> {
  switch (config.rerank.backend) {
    case 'none':
      return null;
    case 'local': {
      const local = await createLocalCrossEncoder(config);
      const fanOut = config.rerank.fanOut;
      if (!fanOut) return local;
      return new FanOutCrossEncoder({
        local,
        invoker: new LambdaShardInvoker({
          functionName: fanOut.functionName,
          endpoint: fanOut.endpoint,
          region: config.store.region,
        }),
        maxShards: fanOut.maxShards,
        minPairsPerShard: fanOut.minPairsPerShard,
        shardTimeoutMs: fanOut.shardTimeoutMs,
        timeoutMs: config.rerank.timeoutMs,
        log: hooks.log,
        onShard: hooks.onShard,
      });
    }
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
  const inProcess = encoder instanceof FanOutCrossEncoder ? encoder.local : encoder;
  return inProcess instanceof LocalCrossEncoder ? inProcess : loadTokenCounter(config.rerank.model);
}
