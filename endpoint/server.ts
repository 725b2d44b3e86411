import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ScoreRequestSchema, describeZodError } from '../shared/contract.js';
import type { CrossEncoder } from '../shared/rerank/crossEncoder.js';
import type { Log } from '../shared/log.js';

/** SageMaker's own request limit. */
export const MAX_REQUEST_BYTES = 6 * 1024 * 1024;

export interface EndpointServerOptions {
  encoder: CrossEncoder;
  /** @default 8080 (SageMaker's container port); 0 picks a free port */
  port?: number;
  /** @default '127.0.0.1' ('0.0.0.0' inside a container) */
  host?: string;
  log: Log;
}

export interface EndpointServer {
  url: string;
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (declared > MAX_REQUEST_BYTES) {
      reject(new HttpError(413, `request body exceeds ${MAX_REQUEST_BYTES} bytes`));
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_REQUEST_BYTES) {
        reject(new HttpError(413, `request body exceeds ${MAX_REQUEST_BYTES} bytes`));
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function invocations(req: http.IncomingMessage, encoder: CrossEncoder): Promise<{ scores: number[] }> {
  const raw = await readBody(req);
  let payload: unknown;
  try {
    payload = JSON.parse(raw);
  } catch {
    throw new HttpError(400, 'body is not valid JSON');
  }
  const parsed = ScoreRequestSchema.safeParse(payload);
  if (!parsed.success) throw new HttpError(400, describeZodError(parsed.error));
  return { scores: await encoder.score(parsed.data.pairs) };
}

const INVOCATION_PATH = /^\/(invocations|endpoints\/[A-Za-z0-9-]{1,63}\/invocations)$/;

/**
 * The SageMaker container contract for a cross-encoder: `GET /ping`, `POST /invocations` with
 * `{"pairs": [[q, d], …]}` → `{"scores": […]}`. Also answers `POST /endpoints/<name>/invocations`, the path
 * the SageMaker runtime client calls, so the real AWS SDK client can use it through an endpoint override.
 * @example
 * const server = await startEndpointServer({ encoder, port: 8080, log: console });
 */
export async function startEndpointServer(options: EndpointServerOptions): Promise<EndpointServer> {
  const { encoder, log } = options;
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (req.method === 'GET' && path === '/ping') return send(res, 200, { status: 'ok', model: encoder.name });
    if (req.method === 'POST' && INVOCATION_PATH.test(path)) {
      invocations(req, encoder).then(
        (body) => send(res, 200, body),
        (error: unknown) => {
          if (error instanceof HttpError) return send(res, error.status, { error: error.message });
          log.error('scoring failed', { error: error as Error });
          send(res, 500, { error: 'scoring failed' });
        },
      );
      return;
    }
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
