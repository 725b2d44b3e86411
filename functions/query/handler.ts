import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import middy from '@middy/core';
import { loadConfig } from '../../shared/wiring/config.js';
import { configureModelHub } from '../../shared/adapters/transformers/hub.js';
import { answerQuery } from '../../shared/pipeline/query/query.js';
import { createServices, queryDeps } from '../../shared/wiring/services.js';
import { type Caller, tenantScope } from '../../shared/pipeline/tenants.js';
import { httpEdge, type Request } from '../edge.js';
import { observability, recordShard } from '../observability.js';
import type { QueryResponse } from '../../shared/pipeline/query/query.js';
import { QueryRequestSchema } from '../../shared/api/queryApi.js';
import { parseRequest } from '../../shared/api/requests.js';
import { statusOf } from '../../shared/api/errorResponses.js';

// Created once per container.
const config = loadConfig();
configureModelHub(config.models);
const { logger, metrics, span, middlewares } = observability('query');
// Read-only: the query role may not write the table (a table made before newer columns is upgraded by ingestion).
const services = createServices(config, {
  readOnly: true,
  crossEncoder: { log: logger, onShard: (outcome) => recordShard(metrics, outcome) },
});

/** One EMF line per query: the four stage latencies, the results returned and whether reranking ran or fell back. */
function recordMetrics(target: Metrics, response: QueryResponse): void {
  const { embed, search, rerank, total } = response.timings;
  target.addMetric('embedLatency', MetricUnit.Milliseconds, embed);
  target.addMetric('searchLatency', MetricUnit.Milliseconds, search);
  target.addMetric('rerankLatency', MetricUnit.Milliseconds, rerank);
  target.addMetric('totalLatency', MetricUnit.Milliseconds, total);
  target.addMetric('results', MetricUnit.Count, response.results.length);
  target.addMetric('reranked', MetricUnit.Count, response.reranked ? 1 : 0);
  // A configured reranker that did not rerank retrieved results fell back to retrieval order.
  const fellBack = !response.reranked && config.rerank.backend !== 'none' && response.results.length > 0;
  target.addMetric('rerankFallback', MetricUnit.Count, fellBack ? 1 : 0);
}

/** A refused or failed query counts as a client (4xx) or server (5xx) error. */
function recordFailure(target: Metrics, error: unknown): void {
  target.addMetric(statusOf(error) < 500 ? 'clientErrors' : 'serverErrors', MetricUnit.Count, 1);
}

/** Answers a query scoped to its caller's tenant: the JWT's claim, else the tenant the request states. */
async function runQuery(payload: unknown, caller: Omit<Caller, 'stated'>): Promise<QueryResponse> {
  const request = parseRequest(QueryRequestSchema, payload);
  const tenant = tenantScope({ ...caller, stated: request.tenant }, config.tenancy);
  const scoped = { ...request, tenant: tenant ?? undefined };
  const response = await answerQuery(scoped, { ...(await queryDeps(services, config, logger)), span });
  recordMetrics(metrics, response);
  logger.info('query answered', { results: response.results.length, reranked: response.reranked, ...response.timings });
  return response;
}

/**
 * `POST /query` through API Gateway (answers an HTTP response) or a direct `lambda invoke` with the query
 * payload itself (answers the QueryResponse, or fails with a named error type): the edge tells them apart.
 */
async function query({ payload, http }: Request): Promise<QueryResponse> {
  return runQuery(payload, { jwtClaims: http?.jwtClaims });
}

export const handler = middy(query)
  .use(middlewares)
  .use(httpEdge({ name: 'query', log: logger, onFailure: (error) => recordFailure(metrics, error) }));
