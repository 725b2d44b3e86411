import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { sendJson } from './frontDoor.js';

export interface ScoringPoolOptions {
  port: number;
  /** The function name the Invoke API answers for; any other is a 404, as Lambda's ResourceNotFoundException. */
  functionName: string;
  /** Base URLs of the instances that are up now (the supervisor's ready parts). */
  instances: () => string[];
  /** Longest an invocation may wait for a free instance, and then run. @default 30000 */
  deadlineMs?: number;
}

/** Invocations served and their summed duration, measured here around each instance's answer. */
export interface ScoringPoolStats {
  invocations: number;
  /** Each invocation's duration rounded up to the millisecond, as Lambda bills, summed. */
  billedMs: number;
  errors: number;
}

export interface ScoringPool {
  url: string;
  stats(): ScoringPoolStats;
  close(): Promise<void>;
}

const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations(?:\?.*)?$/;

/**
 * The Lambda Invoke API of the scoring function on the local stack: each `RequestResponse` invocation goes to an
 * instance that is free (one invocation per instance at a time, as on Lambda) or waits for one. `GET
 * /_local/stats` answers ScoringPoolStats (the cost benchmark reads it).
 */
export async function startScoringPool(options: ScoringPoolOptions): Promise<ScoringPool> {
  const deadlineMs = options.deadlineMs ?? 30_000;
  const busy = new Set<string>();
  /** Invocations waiting for a free instance, oldest first. */
  const waiting: ((url: string) => void)[] = [];
  const stats: ScoringPoolStats = { invocations: 0, billedMs: 0, errors: 0 };

  const free = (): string | undefined => options.instances().find((url) => !busy.has(url));
  /**
   * A free instance, or null when none came free within the deadline or the caller went away while it waited:
   * a waiter never holds its place for nobody.
   */
  const acquire = (res: http.ServerResponse): Promise<string | null> => {
    const url = free();
    if (url) {
      busy.add(url);
      return Promise.resolve(url);
    }
    return new Promise((resolve) => {
      const leave = () => {
        clearTimeout(timer);
        const at = waiting.indexOf(take);
        if (at !== -1) waiting.splice(at, 1);
        resolve(null);
      };
      const take = (instance: string) => {
        clearTimeout(timer);
        res.off('close', leave);
        resolve(instance);
      };
      const timer = setTimeout(leave, deadlineMs);
      res.once('close', leave);
      waiting.push(take);
    });
  };
  /** Hands free instances to the oldest waiting invocations. */
  const dispatch = (): void => {
    while (waiting.length > 0) {
      const instance = free();
      if (!instance) break;
      busy.add(instance);
      waiting.shift()!(instance);
    }
  };
  const release = (url: string): void => {
    busy.delete(url);
    dispatch();
  };
  // An instance that comes (back) up takes a waiting invocation.
  const wake = setInterval(dispatch, 100);

  const forward = async (url: string, body: Buffer, requestId: string, res: http.ServerResponse): Promise<void> => {
    const start = performance.now();
    try {
      const answer = await fetch(`${url}/invoke`, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json', 'x-amzn-requestid': requestId },
        signal: AbortSignal.timeout(deadlineMs),
      });
      const text = await answer.text();
      stats.invocations++;
      stats.billedMs += Math.ceil(performance.now() - start);
      const error = answer.headers.get('x-amz-function-error');
      if (error) stats.errors++;
      const headers: Record<string, string> = { 'x-amzn-requestid': requestId };
      if (error) headers['x-amz-function-error'] = error;
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
      res.end(text);
    } catch (error) {
      stats.errors++;
      // The instance died or hung: Lambda's answer to a failed runtime, which the caller may retry.
      sendJson(
        res,
        502,
        { message: `the scoring instance failed: ${(error as Error).message}` },
        { 'x-amzn-errortype': 'ServiceException', 'x-amzn-requestid': requestId },
      );
    } finally {
      release(url);
    }
  };

  const server = http.createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/_local/stats') return sendJson(res, 200, stats);
    const match = req.method === 'POST' ? INVOKE_PATH.exec(req.url ?? '') : null;
    if (!match) {
      req.resume();
      return sendJson(res, 404, { message: 'not the Invoke API' }, { 'x-amzn-errortype': 'ResourceNotFoundException' });
    }
    if (decodeURIComponent(match[1]!) !== options.functionName) {
      req.resume();
      return sendJson(
        res,
        404,
        { message: `Function not found: ${match[1]}` },
        { 'x-amzn-errortype': 'ResourceNotFoundException' },
      );
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const requestId = randomUUID();
      void acquire(res).then((url) => {
        if (url) {
          void forward(url, Buffer.concat(chunks), requestId, res);
          return;
        }
        // No instance came free in time (Lambda's answer at its concurrency limit), or nobody is waiting any more.
        if (res.destroyed) return;
        stats.errors++;
        sendJson(
          res,
          429,
          { message: `no scoring instance came free within ${deadlineMs} ms` },
          { 'x-amzn-errortype': 'TooManyRequestsException', 'x-amzn-requestid': requestId },
        );
      });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  return {
    url: `http://${address}:${port}`,
    stats: () => ({ ...stats }),
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(wake);
        waiting.length = 0; // their connections close below
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
