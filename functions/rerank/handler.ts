import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { loadConfig } from '../../shared/wiring/config.js';
import { ConfigError, NotFoundError } from '../../shared/pipeline/errors.js';
import { configureModelHub } from '../../shared/adapters/transformers/hub.js';
import { once } from '../../shared/pipeline/once.js';
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
import { defaultErrorAnswer, HttpAnswer, httpEdge, type Request } from '../edge.js';
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

/** A route's errors in its own API's shape; any other path's in the default one. */
function errorAnswer(error: unknown, path: string): HttpAnswer {
  const api = ROUTES[path];
  if (!api) return defaultErrorAnswer(error);
  const { status, headers, body } = api === 'cohere' ? cohereError(error) : teiError(error);
  return HttpAnswer.json(status, body, headers);
}

/**
 * `POST /v2/rerank` (Cohere Rerank v2) and `POST /rerank` (Hugging Face TEI) through API Gateway, each answering
 * errors in its own API's shape, and `GET /openapi.json` (the published contract); or a direct `lambda invoke` with
 * either request body (told apart by `texts`, TEI's field), answering the response object or failing with a named
 * error type.
 */
async function rerank({ payload, http }: Request): Promise<unknown> {
  if (http?.path === '/openapi.json') {
    contract ??= openApiDocument();
    return contract;
  }
  const direct: Api = typeof payload === 'object' && payload !== null && 'texts' in payload ? 'tei' : 'cohere';
  const api = http ? ROUTES[http.path] : direct;
  if (!api) throw new NotFoundError(`no route for ${http?.path}`);
  return run(api, payload);
}

export const handler = middy(rerank)
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics))
  .use(
    httpEdge({
      name: 'rerank',
      log: logger,
      maxBodyBytes: RERANK_LIMITS.maxBodyBytes,
      takesBody: (path) => Object.hasOwn(ROUTES, path),
      errorAnswer,
    }),
  );
