import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FrontDoorOptions {
  port: number;
  /** @default '127.0.0.1' */
  host?: string;
  /** Base URL of the part behind the door, or null while it is down or restarting. */
  upstream: () => string | null;
  /** What is behind the door, for the 503 message (e.g. "the functions"). */
  label: string;
  /** Longest time a request may take before the door answers 504 (API Gateway's limit). @default 30000 */
  deadlineMs?: number;
  /**
   * Checks each request before it is passed through (as API Gateway's authorizer does): false answers 401 with
   * `WWW-Authenticate: Bearer`. Without it the door is open.
   */
  authorize?: (req: http.IncomingMessage) => boolean;
  /**
   * Requests the door answers itself, after the key check (local-only routes such as uploads): returns true when
   * it took the request. The rest are passed through.
   */
  handle?: (req: http.IncomingMessage, res: http.ServerResponse) => boolean;
}

export interface FrontDoor {
  url: string;
  close(): Promise<void>;
}

/** A JSON answer from the local stack's own routes; a response already under way is cut instead. */
export function sendJson(
  res: http.ServerResponse,
  status: number,
  body: object,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/**
 * The stable address of a part that may restart (the functions): requests are passed through while it is up;
 * while it is down they get a clear 503 with Retry-After instead of a refused connection, and a request that
 * runs past the deadline gets 504 instead of hanging — as API Gateway answers in front of Lambda.
 */
export async function startFrontDoor(options: FrontDoorOptions): Promise<FrontDoor> {
  const deadlineMs = options.deadlineMs ?? 30_000;
  const unavailable = (res: http.ServerResponse) =>
    sendJson(res, 503, { error: `${options.label} are restarting; retry in a few seconds` }, { 'retry-after': '2' });

  const server = http.createServer((req, res) => {
    // Only origin-form targets ("/path?query"): an absolute or "//host" target would make the door a proxy to
    // another host, and could pass for a page path in the key check.
    if (!req.url?.startsWith('/') || req.url.startsWith('//')) {
      req.resume();
      return sendJson(res, 400, { error: 'the request target must be a path' });
    }
    if (options.authorize && !options.authorize(req)) {
      req.resume();
      return sendJson(res, 401, { error: 'missing or invalid API key' }, { 'www-authenticate': 'Bearer' });
    }
    if (options.handle?.(req, res)) return;
    const base = options.upstream();
    if (!base) {
      req.resume();
      return unavailable(res);
    }
    const target = new URL(req.url ?? '/', base);
    const upstream = http.request(target, { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    const timer = setTimeout(() => {
      upstream.destroy();
      sendJson(res, 504, { error: `no answer within ${deadlineMs / 1000} s` });
    }, deadlineMs);
    res.on('close', () => {
      clearTimeout(timer);
      if (!res.writableFinished) upstream.destroy(); // the client gave up: so does the request behind it
    });
    upstream.on('error', () => {
      clearTimeout(timer);
      if (!res.headersSent) unavailable(res);
      else res.destroy();
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  return {
    url: `http://${address}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
