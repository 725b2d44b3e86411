import type middy from '@middy/core';
import type { APIGatewayProxyResult, Context } from 'aws-lambda';
import { toErrorResponse, toInvokeError } from '../shared/api/errorResponses.js';
import type { Log } from '../shared/pipeline/log.js';
import {
  CORRELATION_HEADER,
  correlationIdOf,
  isHttpEvent,
  jsonResponse,
  jwtClaimsOf,
  logFailure,
  MAX_BODY_BYTES,
  parseHttpBody,
} from './http.js';

/**
 * The one edge of every HTTP function (query, rerank, page), as a middy middleware in the spirit of
 * `@middy/http-error-handler`: it tells an API Gateway event from a direct invoke, tags the logs with the request's
 * correlation id, parses and size-checks the JSON body, and turns the handler's answer, or its error, into the
 * response its caller expects. Handlers only see a `Request` (as their event) and return an answer: a plain
 * value is a 200 JSON answer over HTTP and the payload itself for a direct invoke.
 */

/** What a handler behind the edge is given. */
export interface Request {
  /** The JSON body of an HTTP request (parsed only for routes that take one), or the direct invoke's payload. */
  payload: unknown;
  /** Present for API Gateway events: the method, path, query string and headers, and the verified JWT claims, if any. */
  http: {
    method: string;
    path: string;
    query: Record<string, string | undefined>;
    /** Lower-case names. */
    headers: Record<string, string | undefined>;
    jwtClaims: Record<string, unknown> | undefined;
    /** The raw body, base64-decoded when API Gateway encoded it (routes that take no JSON body read it so). */
    body: () => Buffer;
  } | null;
}

/** An answer the edge sends as it is (a page file, a 404 in a route's own shape). */
export class HttpAnswer {
  constructor(
    readonly statusCode: number,
    readonly body: string,
    readonly headers: Record<string, string> = {},
  ) {}

  /** A JSON answer with this status. */
  static json(statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpAnswer {
    const { headers: base, body: text } = jsonResponse(statusCode, body, headers);
    return new HttpAnswer(statusCode, text, base as Record<string, string>);
  }
}

export interface EdgeOptions {
  /** What the logs call a failure: `query`, `rerank`, `page`. */
  name: string;
  log: Log & { appendKeys?(keys: Record<string, unknown>): void };
  /** Largest JSON body accepted (413 above it). @default MAX_BODY_BYTES */
  maxBodyBytes?: number;
  /** Whether an HTTP route takes a JSON body. @default every route */
  takesBody?: (path: string) => boolean;
  /** The HTTP error answer of a route, when its API has its own shape. @default `{"error": message}` */
  errorAnswer?: (error: unknown, path: string) => HttpAnswer;
  /** Called once per failed request (metrics). */
  onFailure?: (error: unknown) => void;
}

type Internal = { request: Request; correlationId: string; path: string };

const pathOf = (event: unknown): string =>
  (event as { rawPath?: string }).rawPath ?? (event as { path?: string }).path ?? '';
const methodOf = (event: unknown): string =>
  (event as { requestContext?: { http?: { method?: string } } }).requestContext?.http?.method ??
  (event as { httpMethod?: string }).httpMethod ??
  'GET';
const queryOf = (event: unknown): Record<string, string | undefined> =>
  (event as { queryStringParameters?: Record<string, string | undefined> | null }).queryStringParameters ?? {};
const headersOf = (event: unknown): Record<string, string | undefined> =>
  Object.fromEntries(
    Object.entries((event as { headers?: Record<string, string | undefined> | null }).headers ?? {}).map(([k, v]) => [
      k.toLowerCase(),
      v,
    ]),
  );
const rawBodyOf = (event: unknown): Buffer => {
  const { body, isBase64Encoded } = event as { body?: string | null; isBase64Encoded?: boolean };
  if (!body) return Buffer.alloc(0);
  return isBase64Encoded ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8');
};

/** Any error as `{"error": message}` with its status and Retry-After: the answer of routes without a shape of their own. */
export const defaultErrorAnswer = (error: unknown): HttpAnswer => {
  const { status, headers, body } = toErrorResponse(error);
  return HttpAnswer.json(status, body, headers);
};

/** The edge middleware; the handler it wraps takes a `Request` as its event. */
export function httpEdge(options: EdgeOptions): middy.MiddlewareObj<any, unknown, Error, Context> {
  // Keyed by middy's request object: what `before` read, for `after` and `onError` of the same invocation.
  const state = new WeakMap<object, Internal>();
  const toResponse = (answer: HttpAnswer, correlationId: string): APIGatewayProxyResult => ({
    statusCode: answer.statusCode,
    headers: { ...answer.headers, [CORRELATION_HEADER]: correlationId },
    body: answer.body,
  });
  return {
    before: (request) => {
      const event = request.event;
      const correlationId = correlationIdOf(event, request.context.awsRequestId);
      options.log.appendKeys?.({ correlation_id: correlationId });
      const http = isHttpEvent(event);
      const path = http ? pathOf(event) : '';
      const internal: Internal = { correlationId, path, request: { payload: event, http: null } };
      state.set(request, internal);
      if (http) {
        const method = methodOf(event);
        internal.request = {
          payload: undefined,
          http: {
            method,
            path,
            query: queryOf(event),
            headers: headersOf(event),
            jwtClaims: jwtClaimsOf(event),
            body: () => rawBodyOf(event),
          },
        };
        if (options.takesBody?.(path) ?? true) {
          internal.request.payload = parseHttpBody(event, options.maxBodyBytes ?? MAX_BODY_BYTES);
        }
      }
      // The handler is given the request the edge read, never the raw event.
      request.event = internal.request;
    },
    after: (request) => {
      const internal = state.get(request)!;
      if (!internal.request.http) return;
      const answer = request.response instanceof HttpAnswer ? request.response : HttpAnswer.json(200, request.response);
      request.response = toResponse(answer, internal.correlationId);
    },
    onError: (request) => {
      const error = request.error;
      const internal = state.get(request);
      logFailure(options.log, options.name, error);
      options.onFailure?.(error);
      const http = internal ? internal.request.http !== null : isHttpEvent(request.event);
      if (!http) {
        // A direct caller gets a named error without a stack; middy rethrows what is left in request.error.
        request.error = toInvokeError(error);
        return;
      }
      const path = internal?.path ?? pathOf(request.event);
      const answer = (options.errorAnswer ?? defaultErrorAnswer)(error, path);
      request.response = toResponse(answer, internal?.correlationId ?? request.context.awsRequestId);
    },
  };
}
