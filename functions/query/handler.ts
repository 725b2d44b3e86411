import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyResult, Context } from 'aws-lambda';
import { loadConfig } from '../../shared/config.js';
import { QueryRequestSchema, describeZodError, type QueryResponse } from '../../shared/contract.js';
import { BadRequestError, statusOf, toInvokeError } from '../../shared/errors.js';
import { configureModelHub } from '../../shared/models/hub.js';
import { answerQuery } from '../../shared/query.js';
import { createServices, queryDeps } from '../../shared/services.js';
import { errorResponse, isHttpEvent, jsonResponse, parseHttpBody } from '../http.js';

// Created once per container.
const config = loadConfig();
configureModelHub(config.models);
const logger = new Logger({ serviceName: 'query' });
const services = createServices(config);

async function runQuery(payload: unknown): Promise<QueryResponse> {
  const parsed = QueryRequestSchema.safeParse(payload);
  if (!parsed.success) throw new BadRequestError(describeZodError(parsed.error));
  const response = await answerQuery(parsed.data, await queryDeps(services, config, logger));
  logger.info('query answered', { results: response.results.length, reranked: response.reranked, ...response.timings });
  return response;
}

/** Logs a failed query once: a refusal (4xx/503) as a warning with its reason, anything else as an error. */
function logFailure(error: unknown): void {
  if (statusOf(error) < 500 || statusOf(error) === 503)
    logger.warn('query refused', { reason: (error as Error).message });
  else logger.error('query failed', { error: error as Error });
}

/**
 * `POST /query` through API Gateway (answers an HTTP response) or a direct `lambda invoke` with the query
 * payload itself (answers the QueryResponse, or fails with a named error type).
 */
async function queryHandler(event: unknown, _context: Context): Promise<APIGatewayProxyResult | QueryResponse> {
  if (isHttpEvent(event)) {
    try {
      return jsonResponse(200, await runQuery(parseHttpBody(event)));
    } catch (error) {
      logFailure(error);
      return errorResponse(error);
    }
  }
  try {
    return await runQuery(event);
  } catch (error) {
    logFailure(error);
    throw toInvokeError(error);
  }
}

export const handler = middy(queryHandler).use(injectLambdaContext(logger));
