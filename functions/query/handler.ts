import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyResult, Context } from 'aws-lambda';
import { loadConfig } from '../../shared/config.js';
import { QueryRequestSchema, parseRequest, type QueryResponse } from '../../shared/contract.js';
import { toInvokeError } from '../../shared/errors.js';
import { configureModelHub } from '../../shared/models/hub.js';
import { answerQuery } from '../../shared/query.js';
import { createServices, queryDeps } from '../../shared/services.js';
import { errorResponse, isHttpEvent, jsonResponse, parseHttpBody, logFailure } from '../http.js';

// Created once per container.
const config = loadConfig();
configureModelHub(config.models);
const logger = new Logger({ serviceName: 'query' });
const services = createServices(config);

async function runQuery(payload: unknown): Promise<QueryResponse> {
  const request = parseRequest(QueryRequestSchema, payload);
  const response = await answerQuery(request, await queryDeps(services, config, logger));
  logger.info('query answered', { results: response.results.length, reranked: response.reranked, ...response.timings });
  return response;
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
      logFailure(logger, 'query', error);
      return errorResponse(error);
    }
  }
  try {
    return await runQuery(event);
  } catch (error) {
    logFailure(logger, 'query', error);
    throw toInvokeError(error);
  }
}

export const handler = middy(queryHandler).use(injectLambdaContext(logger));
