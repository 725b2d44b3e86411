import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { AppError, BadRequestError, PayloadTooLargeError, UnavailableError } from '../shared/pipeline/errors.js';
import type { Log } from '../shared/pipeline/log.js';
import type { Pair, CrossEncoder } from '../shared/pipeline/ports.js';
import { ScoreRequestSchema } from '../shared/api/endpointContract.js';
import { parseRequest } from '../shared/api/requests.js';
import { toErrorResponse } from '../shared/api/errorResponses.js';

/** SageMaker's own request limit. */
export const MAX_REQUEST_BYTES = 6 * 1024 * 1024;

/** The bounds a server applies when its options leave them out (see EndpointServerOptions). */
export const DEFAULT_ENDPOINT_LIMITS = {
  maxPairs: 1000,
  // 256 pairs of 512 tokens. MiniLM-L6 int8 takes ≈ 180 ms per 512-token pair on 2 vCPUs (measured), so a
  // request at the bound scores in ≈ 46 s there: inside SageMaker's 60 s invocation limit, faster on more vCPUs.
  maxTokens: 131_072,
  // Two full requests: one scoring while the next is tokenized, without letting a backlog build up.
  maxQueuedPairs: 2000,
  // SageMaker's invocation limit: past it the caller has given up, so further work is wasted.
  timeoutMs: 60_000,
} as const;

/** Seconds a client should wait before retrying a request refused for load. */
const RETRY_AFTER_S = 1;

export interface EndpointServerOptions {
  encoder: CrossEncoder;
  /** @default 8080 (SageMaker's container port); 0 picks a free port */
  port?: number;
  /** @default '127.0.0.1' ('0.0.0.0' inside a container) */
  host?: string;
  log: Log;
  /** Most pairs in one request; more is answered 413. @default 1000 */
  maxPairs?: number;
  /**
   * Most tokens, after truncation, that one request's pairs may encode to; more is answered 413 before any
   * model batch runs. @default 131072
   */
  maxTokens?: number;
  /**
   * Most pairs admitted across in-flight requests; a request that would pass it is answered 503 with
   * `Retry-After`. Must be at least `maxPairs`, or a full request could never be admitted. @default 2000
   */
  maxQueuedPairs?: number;
  /** Deadline per request, from its arrival: past it scoring is aborted and answered 503. @default 60000 */
  timeoutMs?: number;
}

export interface EndpointServer {
  url: string;
  close(): Promise<void>;
}

type EndpointLimits = { [K in keyof typeof DEFAULT_ENDPOINT_LIMITS]: number };

/** The abort reason when the client closes its connection before the answer: there is nobody to answer. */
class ClientDisconnected extends Error {
  constructor() {
    super('client disconnected');
  }
}

const unavailable = (message: string) => new UnavailableError(message); // Retry-After: 1 s
function resolveLimits(options: EndpointServerOptions): EndpointLimits {
  const limits: EndpointLimits = {
    maxPairs: options.maxPairs ?? DEFAULT_ENDPOINT_LIMITS.maxPairs,
    maxTokens: options.maxTokens ?? DEFAULT_ENDPOINT_LIMITS.maxTokens,
    maxQueuedPairs: options.maxQueuedPairs ?? DEFAULT_ENDPOINT_LIMITS.maxQueuedPairs,
    timeoutMs: options.timeoutMs ?? DEFAULT_ENDPOINT_LIMITS.timeoutMs,
  };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  }
  if (limits.maxQueuedPairs < limits.maxPairs) {
    throw new RangeError(`maxQueuedPairs (${limits.maxQueuedPairs}) must be at least maxPairs (${limits.maxPairs})`);
  }
  return limits;
}

/** Pairs admitted and not yet answered, across in-flight requests. */
class PairQueue {
  #queued = 0;
  constructor(readonly capacity: number) {}

  /** Takes room for `pairs` and returns its release, or undefined when that would pass the capacity. */
  tryAdmit(pairs: number): (() => void) | undefined {
    if (this.#queued + pairs > this.capacity) return undefined;
    this.#queued += pairs;
    return () => {
      this.#queued -= pairs;
    };
  }
}

function readBody(req: http.IncomingMessage, signal: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    const refuse = (error: unknown) => {
      reject(error);
      req.resume(); // drain, so the connection can carry the answer
    };
    const tooLarge = () => new PayloadTooLargeError(`request body exceeds ${MAX_REQUEST_BYTES} bytes`);
    if (Number(req.headers['content-length']) > MAX_REQUEST_BYTES) return refuse(tooLarge());
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_REQUEST_BYTES) return refuse(tooLarge());
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
    signal.addEventListener('abort', () => refuse(signal.reason), { once: true });
  });
}

function parsePairs(raw: string): Pair[] {
  let payload: unknown;
  try {
    payload = JSON.parse(raw);
  } catch {
    throw new BadRequestError('body is not valid JSON');
  }
  return parseRequest(ScoreRequestSchema, payload).pairs;
}

function send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Any error as its status, Retry-After and public message (no stack, no path). */
function sendError(res: http.ServerResponse, error: unknown): void {
  const { status, headers, body } = toErrorResponse(error);
  send(res, status, body, headers);
}

interface InvocationContext {
  encoder: CrossEncoder;
  limits: EndpointLimits;
  queue: PairQueue;
  log: Log;
}

/** Reads, bounds, admits and scores one request; every refusal is an AppError (400, 413 or 503). */
async function invocations(
  req: http.IncomingMessage,
  { encoder, limits, queue }: InvocationContext,
  signal: AbortSignal,
): Promise<{ scores: number[] }> {
  const pairs = parsePairs(await readBody(req, signal));
  if (pairs.length > limits.maxPairs) {
    throw new PayloadTooLargeError(`request has ${pairs.length} pairs, over the maxPairs limit of ${limits.maxPairs}`);
  }
  const release = queue.tryAdmit(pairs.length);
  if (!release) throw unavailable(`endpoint is saturated; retry after ${RETRY_AFTER_S} s`);
  try {
    return { scores: await encoder.score(pairs, { signal, maxTokens: limits.maxTokens }) };
  } finally {
    release();
  }
}

/** Answers a failed invocation: the deadline's 503 if it passed, nothing to a client that left, else the error. */
function answerFailure(res: http.ServerResponse, error: unknown, signal: AbortSignal, log: Log): void {
  if (signal.aborted && signal.reason instanceof ClientDisconnected) {
    log.info('client disconnected; scoring stopped');
    return;
  }
  const cause = signal.aborted && signal.reason instanceof UnavailableError ? signal.reason : error;
  if (!(cause instanceof AppError)) log.error('scoring failed', { error: cause as Error });
  sendError(res, cause);
}

/**
 * One invocation under its own AbortController: the client closing its connection or the deadline passing
 * aborts it, so the encoder stops before its next batch instead of scoring for nobody.
 */
function handleInvocation(req: http.IncomingMessage, res: http.ServerResponse, context: InvocationContext): void {
  const controller = new AbortController();
  const { timeoutMs } = context.limits;
  const deadline = setTimeout(() => {
    const error = unavailable(`scoring did not finish within the ${timeoutMs} ms deadline (timeoutMs)`);
    controller.abort(error);
    sendError(res, error); // now, even if the encoder only notices at its next batch
  }, timeoutMs);
  res.on('close', () => {
    if (!res.writableFinished) controller.abort(new ClientDisconnected());
  });
  invocations(req, context, controller.signal)
    .then(
      (body) => send(res, 200, body),
      (error: unknown) => answerFailure(res, error, controller.signal, context.log),
    )
    .finally(() => clearTimeout(deadline));
}

const INVOCATION_PATH = /^\/(invocations|endpoints\/[A-Za-z0-9-]{1,63}\/invocations)$/;

/**
 * The SageMaker container contract for a cross-encoder: `GET /ping`, `POST /invocations` with
 * `{"pairs": [[q, d], …]}` → `{"scores": […]}`. Also answers `POST /endpoints/<name>/invocations`, the path
 * the SageMaker runtime client calls, so the real AWS SDK client can use it through an endpoint override.
 *
 * It protects itself: requests over `maxPairs` or `maxTokens` get 413, requests that would queue more than
 * `maxQueuedPairs` get 503 with `Retry-After`, scoring stops when the client disconnects or `timeoutMs` passes
 * (503), and an encoder that yields between batches (LocalCrossEncoder) keeps `/ping` answering meanwhile.
 * Error bodies are `{"error": message}`; unexpected failures are logged and answered `{"error": "internal error"}`.
 * @throws RangeError when a limit is not a positive integer or `maxQueuedPairs` is below `maxPairs`
 * @example
 * const encoder = await LocalCrossEncoder.create({ model: 'Xenova/ms-marco-MiniLM-L-6-v2' });
 * const server = await startEndpointServer({ encoder, port: 0, log: console }); // 0: any free port
 * const response = await fetch(`${server.url}/invocations`, {
 *   method: 'POST',
 *   headers: { 'content-type': 'application/json' },
 *   body: JSON.stringify({ pairs: [['What is the plan?', 'We will fight inflation.']] }),
 * });
 * console.log(response.status, await response.json()); // 200 { scores: [ <logit> ] }
 * await server.close();
 */
export async function startEndpointServer(options: EndpointServerOptions): Promise<EndpointServer> {
  const { encoder, log } = options;
  const limits = resolveLimits(options);
  const context: InvocationContext = { encoder, limits, queue: new PairQueue(limits.maxQueuedPairs), log };
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (req.method === 'GET' && path === '/ping') return send(res, 200, { status: 'ok', model: encoder.name });
    if (req.method === 'POST' && INVOCATION_PATH.test(path)) return handleInvocation(req, res, context);
    send(res, 404, { error: `no route for ${req.method} ${path}` });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 8080, options.host ?? '127.0.0.1', resolve));
  const { address, port } = server.address() as AddressInfo;
  return {
    url: `http://${address}:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
