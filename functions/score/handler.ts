import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { loadConfig } from '../../shared/wiring/config.js';
import { DeadlineError } from '../../shared/pipeline/errors.js';
import { configureModelHub } from '../../shared/adapters/transformers/hub.js';
import { once } from '../../shared/pipeline/once.js';
import { createLocalCrossEncoder } from '../../shared/wiring/models.js';
import { ShardRequestSchema, type ShardRequest } from '../../shared/api/shardContract.js';
import { logFailure } from '../http.js';
import { parseRequest } from '../../shared/api/requests.js';
import type { ScoreResponse } from '../../shared/api/endpointContract.js';
import { toInvokeError } from '../../shared/api/errorResponses.js';

// The cross-encoder alone, once per container: no LanceDB, no embedder, no fan-out of its own.
const config = loadConfig();
configureModelHub(config.models);
const logger = new Logger({ serviceName: 'score' });
const encoder = once(() => createLocalCrossEncoder(config));

/** Time kept back from the function's own timeout, so that it answers with an error rather than being cut off. */
const RESERVE_MS = 200;

/**
 * One shard of a fanned-out rerank (direct invoke from the query and rerank functions,
 * shared/pipeline/rerank/fanOutCrossEncoder.ts): `{pairs, deadline}` → `{scores}`, raw logits in the pairs' order. Work stops at the
 * shard's deadline or before the function's own timeout, whichever comes first, and fails with DeadlineError.
 */
async function scoreHandler(event: unknown, context: Context): Promise<ScoreResponse> {
  const start = performance.now();
  let request: ShardRequest | undefined;
  try {
    request = parseRequest(ShardRequestSchema, event);
    const budget = Math.min(request.deadline - Date.now(), context.getRemainingTimeInMillis() - RESERVE_MS);
    if (budget <= 0) throw new DeadlineError('the shard arrived after its deadline');
    // Started before the model loads: a cold start spends the same budget, and nobody waits past it.
    const signal = AbortSignal.timeout(budget);
    const model = await encoder();
    signal.throwIfAborted();
    const scores = await model.score(request.pairs, { signal });
    logger.info('scored', { pairs: scores.length, ms: Math.round(performance.now() - start) });
    return { scores };
  } catch (error) {
    const timedOut = error instanceof DOMException && error.name === 'TimeoutError';
    const failure = timedOut ? new DeadlineError('the shard missed its deadline') : error;
    logFailure(logger, 'score', failure, { pairs: request?.pairs.length });
    throw toInvokeError(failure);
  }
}

export const handler = middy(scoreHandler).use(injectLambdaContext(logger));
