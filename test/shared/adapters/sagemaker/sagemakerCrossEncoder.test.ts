import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { RerankUnavailableError } from '../../../../shared/pipeline/errors.js';
import { pairsContentHandler, teiContentHandler } from '../../../../shared/adapters/sagemaker/contentHandlers.js';
import { SageMakerCrossEncoder, splitRequests } from '../../../../shared/adapters/sagemaker/sagemakerCrossEncoder.js';
import type { Pair } from '../../../../shared/pipeline/ports.js';

type Behaviour = (body: { pairs: Pair[] }, res: http.ServerResponse, call: number) => void;

/** A real HTTP server standing in for the SageMaker endpoint, scripted per call. */
async function scriptedEndpoint(behaviour: Behaviour) {
  const requests: { path: string; pairs: Pair[] }[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { pairs: Pair[] };
      requests.push({ path: req.url ?? '', pairs: body.pairs });
      behaviour(body, res, requests.length);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

const ok = (body: { pairs: Pair[] }, res: http.ServerResponse) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ scores: body.pairs.map(([, d]) => d.length) }));
};
const status = (code: number) => (_b: unknown, res: http.ServerResponse) => {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ error: `status ${code}` }));
};

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

function encoderFor(url: string, options: Partial<ConstructorParameters<typeof SageMakerCrossEncoder>[0]> = {}) {
  const client = new SageMakerRuntimeClient({
    endpoint: url,
    region: 'us-east-1',
    maxAttempts: 1,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  return new SageMakerCrossEncoder({ endpointName: 'reranker', client, baseDelayMs: 5, ...options });
}

const pairs = (n: number): Pair[] => Array.from({ length: n }, (_, i) => ['q', 'd'.repeat(i + 1)]);

describe('SageMakerCrossEncoder', () => {
  it('sends the seed contract to /endpoints/<name>/invocations and returns scores in order', async () => {
    const endpoint = await scriptedEndpoint(ok);
    cleanup = endpoint.close;
    const scores = await encoderFor(endpoint.url).score(pairs(5));
    expect(scores).toEqual([1, 2, 3, 4, 5]);
    expect(endpoint.requests[0]!.path).toBe('/endpoints/reranker/invocations');
  });

  it('splits large candidate sets into concurrent requests and reassembles the order', async () => {
    const endpoint = await scriptedEndpoint(ok);
    cleanup = endpoint.close;
    const scores = await encoderFor(endpoint.url, { maxPairsPerRequest: 8 }).score(pairs(50));
    expect(scores).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(endpoint.requests.map((r) => r.pairs.length).sort((a, b) => a - b)).toEqual([2, 8, 8, 8, 8, 8, 8]);
  });

  it('retries 500 and 429 answers, then succeeds', async () => {
    const endpoint = await scriptedEndpoint((body, res, call) =>
      call === 1 ? status(500)(body, res) : call === 2 ? status(429)(body, res) : ok(body, res),
    );
    cleanup = endpoint.close;
    expect(await encoderFor(endpoint.url).score(pairs(2))).toEqual([1, 2]);
    expect(endpoint.requests).toHaveLength(3);
  });

  it('gives up after maxRetries with RerankUnavailableError', async () => {
    const endpoint = await scriptedEndpoint(status(503));
    cleanup = endpoint.close;
    const error = await encoderFor(endpoint.url, { maxRetries: 2 })
      .score(pairs(1))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RerankUnavailableError);
    expect((error as Error).message).toMatch(/after 3 attempt/);
    expect(endpoint.requests).toHaveLength(3);
  });

  it('does not retry a 400 (the request itself is wrong)', async () => {
    const endpoint = await scriptedEndpoint(status(400));
    cleanup = endpoint.close;
    await expect(encoderFor(endpoint.url).score(pairs(1))).rejects.toBeInstanceOf(RerankUnavailableError);
    expect(endpoint.requests).toHaveLength(1);
  });

  it('holds the deadline when the endpoint hangs', async () => {
    const endpoint = await scriptedEndpoint(() => undefined); // never answers
    cleanup = endpoint.close;
    const started = performance.now();
    const error = await encoderFor(endpoint.url, { timeoutMs: 300 })
      .score(pairs(1))
      .catch((e: unknown) => e);
    const waited = performance.now() - started;
    expect(error).toBeInstanceOf(RerankUnavailableError);
    expect((error as Error).message).toMatch(/300 ms deadline/);
    expect(waited).toBeLessThan(2000);
  });

  it('rejects a response with the wrong number of scores without retrying', async () => {
    const endpoint = await scriptedEndpoint((_b, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ scores: [1] }));
    });
    cleanup = endpoint.close;
    await expect(encoderFor(endpoint.url).score(pairs(2))).rejects.toThrow(/1 scores for 2 pairs/);
    expect(endpoint.requests).toHaveLength(1);
  });

  it('reports a refused connection as unavailable', async () => {
    const endpoint = await scriptedEndpoint(ok);
    await endpoint.close();
    await expect(encoderFor(endpoint.url, { maxRetries: 1 }).score(pairs(1))).rejects.toBeInstanceOf(
      RerankUnavailableError,
    );
  });
});

describe('splitRequests', () => {
  it('keeps every request under the byte limit', () => {
    const big: Pair[] = Array.from({ length: 10 }, () => ['q', 'x'.repeat(1000)]);
    const groups = splitRequests(big, pairsContentHandler, 100, 2500);
    expect(groups.flat()).toEqual(big);
    for (const g of groups) expect(Buffer.byteLength(pairsContentHandler.encode(g))).toBeLessThanOrEqual(2500);
    expect(groups.map((g) => g.length)).toEqual([2, 2, 2, 2, 2]);
  });

  it('refuses a single pair larger than the limit', () => {
    expect(() => splitRequests([['q', 'x'.repeat(3000)]], pairsContentHandler, 100, 2500)).toThrow(
      /larger than the 2500-byte/,
    );
  });
});

describe('teiContentHandler', () => {
  it('encodes one query with its texts and maps [{index, score}] back to pair order', () => {
    const p: Pair[] = [
      ['q', 'a'],
      ['q', 'b'],
    ];
    expect(JSON.parse(teiContentHandler.encode(p))).toEqual({ query: 'q', texts: ['a', 'b'], raw_scores: true });
    expect(teiContentHandler.decode('[{"index":1,"score":0.9},{"index":0,"score":0.1}]', p)).toEqual([0.1, 0.9]);
  });
});
