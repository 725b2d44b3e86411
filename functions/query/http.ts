import type { APIGatewayProxyEventV2, APIGatewayProxyResult } from 'aws-lambda';
import { BadRequestError, PayloadTooLargeError, RerankUnavailableError, StoreUnavailableError } from '../../shared/errors.js';

/** Request bodies above this are refused before parsing. */
export const MAX_BODY_BYTES = 64 * 1024;

type HttpEvent = Pick<APIGatewayProxyEventV2, 'body' | 'isBase64Encoded'> & { requestContext: object };

/** API Gateway (HTTP API v2 or REST v1) events carry `requestContext` and a string body; direct invokes do not. */
export function isHttpEvent(event: unknown): event is HttpEvent {
  return (
    typeof event === 'object' &&
    event !== null &&
    'requestContext' in event &&
    ('body' in event || 'httpMethod' in event || 'rawPath' in event)
  );
}

/** The JSON body of an API Gateway event, size-checked and parsed. */
export function parseHttpBody(event: HttpEvent): unknown {
  if (event.body === undefined || event.body === null || event.body === '') {
    throw new BadRequestError('request body is required: {"query": "..."}');
  }
  const raw = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  if (Buffer.byteLength(raw) > MAX_BODY_BYTES) {
    throw new PayloadTooLargeError(`request body exceeds ${MAX_BODY_BYTES} bytes`);
  }
  try {
    return JSON.parse(raw);
  } catch {
    throw new BadRequestError('request body is not valid JSON');
  }
}

export function jsonResponse(statusCode: number, body: unknown): APIGatewayProxyResult {
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

/** Domain errors become 4xx/503 with their message; anything else is a generic 500 (details only in logs). */
export function errorResponse(error: unknown): APIGatewayProxyResult {
  if (error instanceof BadRequestError) return jsonResponse(400, { error: error.message });
  if (error instanceof PayloadTooLargeError) return jsonResponse(413, { error: error.message });
  if (error instanceof RerankUnavailableError) {
    return jsonResponse(503, { error: 'reranking is temporarily unavailable; retry later' });
  }
  if (error instanceof StoreUnavailableError) {
    return jsonResponse(503, { error: 'the vector store is temporarily unavailable; retry later' });
  }
  return jsonResponse(500, { error: 'internal error' });
}
