import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyResult, Context } from 'aws-lambda';
import { loadConfig } from '../../shared/wiring/config.js';
import { ConfigError, NotFoundError, toInvokeError } from '../../shared/pipeline/errors.js';
import { configureModelHub } from '../../shared/adapters/transformers/hub.js';
import { once } from '../../shared/wiring/once.js';
import { openApiDocument } from '../../shared/api/openapi.js';
import { createCrossEncoder, createTokenCounter } from '../../shared/wiring/crossEncoder.js';
import {
  RERANK_LIMITS,
  cohereError,
  rerankCohere,
  rerankTei,
  teiError,
  type RerankApiDeps,
} from '../../shared/api/rerankApi.js';
import { isHttpEvent, jsonResponse, parseHttpBody, logFailure } from '../http.js';
import { functionMetrics, recordShard } from '../observability.js';

// Created once per container: no LanceDB, no embedder, only the cross-encoder (and its tokenizer).
const config = loadConfig();
configureModelHub(config.models);
const logger = new Logger({ serviceName: 'rerank' });
const metrics = functionMetrics('rerank');
let contract: ReturnType<typeof openApiDocument> | undefined;

const loadDeps = once(async (): Promise<RerankApiDeps> => {
  const encoder = await createCrossEncoder(config, {
    log: logger,
    onShard: (outcome) => recordShard(metrics, outcome),
  });
  if (!encoder) throw new ConfigError('RERANK_BACKEND=none: the rerank function needs a cross-encoder');
  return { encoder, counter: await createTokenCounter(config, encoder) };
});

type Api = 'cohere' | 'tei';
const ROUTES: Record<string, Api> = { '/v2/rerank': 'cohere', '/rerank': 'tei' };

async function run(api: Api, payload: unknown): Promise<unknown> {
  const start = performance.now();
  const answer =
    api === 'cohere' ? await rerankCohere(payload, await loadDeps()) : await rerankTei(payload, await loadDeps());
  logger.info('reranked', { api, ms: Math.round(performance.now() - start) });
  return answer;
}

/**
 * `POST /v2/rerank` (Cohere Rerank v2) and `POST /rerank` (Hugging Face TEI) through API Gateway, each answering
 * errors in its own API's shape, and `GET /openapi.json` (the published contract); or a direct `lambda invoke` with either request body (told apart by `texts`,
 * TEI's field), answering the response object or failing with a named error type.
 */
async function rerankHandler(event: unknown, _context: Context): Promise<APIGatewayProxyResult | unknown> {
  if (isHttpEvent(event)) {
    const path = (event as { rawPath?: string; path?: string }).rawPath ?? (event as { path?: string }).path ?? '';
    if (path === '/openapi.json') {
      contract ??= openApiDocument();
      return jsonResponse(200, contract);
    }
    const api = ROUTES[path];
    if (!api) return jsonResponse(404, { error: new NotFoundError(`no route for ${path}`).message });
    try {
      return jsonResponse(200, await run(api, parseHttpBody(event, RERANK_LIMITS.maxBodyBytes)));
    } catch (error) {
      logFailure(logger, 'rerank', error, { api });
      const { status, headers, body } = api === 'cohere' ? cohereError(error) : teiError(error);
      return jsonResponse(status, body, headers);
    }
  }
  const api: Api = typeof event === 'object' && event !== null && 'texts' in event ? 'tei' : 'cohere';
  try {
    return await run(api, event);
  } catch (error) {
    logFailure(logger, 'rerank', error, { api });
    throw toInvokeError(error);
  }
}

export const handler = middy(rerankHandler).use(injectLambdaContext(logger)).use(logMetrics(metrics));
