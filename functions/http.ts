import type { APIGatewayProxyEventV2, APIGatewayProxyResult } from 'aws-lambda';
import { BadRequestError, PayloadTooLargeError } from '../shared/pipeline/errors.js';
import type { Log } from '../shared/pipeline/log.js';
import { statusOf } from '../shared/api/errorResponses.js';

/** Request bodies above this are refused before parsing. */
export const MAX_BODY_BYTES = 64 * 1024;

type HttpEvent = Pick<APIGatewayProxyEventV2, 'body' | 'isBase64Encoded'> & {
  requestContext: { requestId?: string };
  headers?: Record<string, string | undefined> | null;
};

/** The header a caller may set to follow its request through the logs; answers carry it back. */
export const CORRELATION_HEADER = 'x-correlation-id';

/**
 * The id every log line of a request carries: the caller's x-correlation-id when it is a plain token (so a
 * client can follow its request across services), else API Gateway's request id, else the invocation's.
 */
export function correlationIdOf(event: unknown, awsRequestId: string): string {
  if (!isHttpEvent(event)) return awsRequestId;
  const headers = Object.entries(event.headers ?? {});
  const given = headers.find(([name]) => name.toLowerCase() === CORRELATION_HEADER)?.[1];
  if (given && /^[\w.:-]{1,128}$/.test(given)) return given;
  return event.requestContext.requestId ?? awsRequestId;
}

/** API Gateway (HTTP API v2 or REST v1) events carry `requestContext` and a string body; direct invokes do not. */
export function isHttpEvent(event: unknown): event is HttpEvent {
  return (
    typeof event === 'object' &&
    event !== null &&
    'requestContext' in event &&
    ('body' in event || 'httpMethod' in event || 'rawPath' in event)
  );
}

/**
 * The claims of the JWT API Gateway's JWT authorizer verified for this request (payload 2.0), or undefined when
 * the request came in without one (IAM, API key, or no authorizer).
 */
export function jwtClaimsOf(event: HttpEvent): Record<string, unknown> | undefined {
  const authorizer = (event.requestContext as { authorizer?: { jwt?: { claims?: unknown } } }).authorizer;
  const claims = authorizer?.jwt?.claims;
  return typeof claims === 'object' && claims !== null ? (claims as Record<string, unknown>) : undefined;
}

/** The JSON body of an API Gateway event, size-checked and parsed. */
export function parseHttpBody(event: HttpEvent, maxBytes = MAX_BODY_BYTES): unknown {
  if (event.body === undefined || event.body === null || event.body === '') {
    throw new BadRequestError('request body is required: {"query": "..."}');
  }
  const raw = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  if (Buffer.byteLength(raw) > maxBytes) {
    throw new PayloadTooLargeError(`request body exceeds ${maxBytes} bytes`);
  }
  try {
    return JSON.parse(raw);
  } catch {
    throw new BadRequestError('request body is not valid JSON');
  }
}

export function jsonResponse(
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): APIGatewayProxyResult {
  return { statusCode, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}

/**
 * Logs a failed request once: a refusal (4xx, or 503 "retry later") as a warning with its reason, anything else
 * as an error with the whole error (which stays in the logs, never in the answer).
 */
export function logFailure(log: Log, what: string, error: unknown, extra: Record<string, unknown> = {}): void {
  const status = statusOf(error);
  if (status < 500 || status === 503) log.warn(`${what} refused`, { ...extra, reason: (error as Error).message });
  else log.error(`${what} failed`, { ...extra, error: error as Error });
}
