import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_ENDPOINT_LIMITS,
  MAX_REQUEST_BYTES,
  startEndpointServer,
  type EndpointServer,
  type EndpointServerOptions,
} from '../../endpoint/server.js';
import { silentLog, type Log } from '../../shared/pipeline/log.js';
import { configureModelHub } from '../../shared/adapters/transformers/hub.js';
import { LocalCrossEncoder } from '../../shared/adapters/transformers/localCrossEncoder.js';
import { FIXTURE_MODELS, maxAbsDiff, readReference, type CrossEncoderReference } from '../helpers.js';
import type { Pair, CrossEncoder, ScoreOptions } from '../../shared/pipeline/ports.js';

const reference = readReference<CrossEncoderReference>('cross_encoder_scores');
const BATCH_SIZE = 8;
let realEncoder: LocalCrossEncoder;
let server: EndpointServer;
let counting: CountingEncoder;

/**
 * Delegates every call to the real LocalCrossEncoder, counting the model batches it runs (through its onBatch
 * option) and remembering the last call, so a test can see how far scoring went after a request ended.
 */
class CountingEncoder implements CrossEncoder {
  readonly name: string;
  batches = 0;
  /** The last score() call, settled: 'scored' or its rejection reason. */
  lastCall: Promise<unknown> = Promise.resolve('none');
  #waiters: { batches: number; resolve: () => void }[] = [];

  constructor(private readonly real: CrossEncoder) {
    this.name = real.name;
  }

  score(pairs: Pair[], options: ScoreOptions = {}): Promise<number[]> {
    const call = this.real.score(pairs, { ...options, onBatch: (progress) => this.#counted(progress, options) });
    this.lastCall = call.then(
      () => 'scored',
      (error: unknown) => error,
    );
    return call;
  }

  /** Resolves once this many batches (in all) have run. */
  untilBatches(batches: number): Promise<void> {
    if (this.batches >= batches) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ batches, resolve }));
  }

  #counted(progress: Parameters<NonNullable<ScoreOptions['onBatch']>>[0], options: ScoreOptions): void {
    this.batches++;
    options.onBatch?.(progress);
    this.#waiters.filter((w) => this.batches >= w.batches).forEach((w) => w.resolve());
    this.#waiters = this.#waiters.filter((w) => this.batches < w.batches);
  }
}

/** `count` pairs whose passages are about `chars` characters, each distinct. */
function longPairs(count: number, chars: number): Pair[] {
  const sentence = 'the economy grows while inflation falls and markets rally ';
  const text = sentence.repeat(Math.ceil(chars / sentence.length)).slice(0, chars);
  return Array.from({ length: count }, (_, i): Pair => ['what about the economy?', `${i} ${text}`]);
}

const batchesFor = (pairs: Pair[]) => Math.ceil(pairs.length / BATCH_SIZE);

/** A server of its own, on a fresh counting wrapper around the shared real encoder. */
async function startServer(
  limits: Partial<EndpointServerOptions> = {},
): Promise<{ server: EndpointServer; encoder: CountingEncoder }> {
  const encoder = new CountingEncoder(realEncoder);
  return { server: await startEndpointServer({ encoder, port: 0, log: silentLog, ...limits }), encoder };
}

beforeAll(async () => {
  configureModelHub({ dir: FIXTURE_MODELS, allowRemote: false });
  realEncoder = await LocalCrossEncoder.create({ model: 'tiny-ce', dtype: 'fp32', batchSize: BATCH_SIZE });
  counting = new CountingEncoder(realEncoder);
  server = await startEndpointServer({ encoder: counting, port: 0, log: silentLog });
});
afterAll(() => server.close());

const post = (path: string, body: string) =>
  fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

const invoke = (target: EndpointServer, pairs: Pair[], signal?: AbortSignal) =>
  fetch(`${target.url}/invocations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ pairs }),
    signal,
  });

const errorOf = async (res: Response) => ((await res.json()) as { error: string }).error;

describe('endpoint server (SageMaker container contract)', () => {
  it('answers GET /ping with 200', async () => {
    const res = await fetch(`${server.url}/ping`);
    expect(res.status).toBe(200);
  });

  it('scores {"pairs"} on /invocations as the seed endpoint does (fp32 within 1e-4)', async () => {
    const res = await post('/invocations', JSON.stringify({ pairs: reference.pairs }));
    expect(res.status).toBe(200);
    const { scores } = (await res.json()) as { scores: number[] };
    expect(maxAbsDiff(scores, reference.models['tiny-ce']!.torch_fp32_batched!)).toBeLessThan(1e-4);
  });

  it('accepts {"text_pairs"}, what LangChain\'s SagemakerEndpointCrossEncoder sends, with the same scores', async () => {
    const pairs = reference.pairs.slice(0, 3);
    const viaPairs = (await (await post('/invocations', JSON.stringify({ pairs }))).json()) as { scores: number[] };
    const res = await post('/invocations', JSON.stringify({ text_pairs: pairs }));
    expect(res.status).toBe(200);
    expect(((await res.json()) as { scores: number[] }).scores).toEqual(viaPairs.scores);
  });

  it('refuses a body with both pairs and text_pairs', async () => {
    const res = await post('/invocations', JSON.stringify({ pairs: [['q', 'd']], text_pairs: [['q', 'd']] }));
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(/exactly one of pairs or text_pairs/);
  });

  it('serves the SageMaker runtime path /endpoints/<name>/invocations', async () => {
    const res = await post('/endpoints/my-endpoint/invocations', JSON.stringify({ pairs: [reference.pairs[0]] }));
    expect(res.status).toBe(200);
    expect(((await res.json()) as { scores: number[] }).scores).toHaveLength(1);
  });

  it.each([
    ['malformed JSON', '{"pairs": [', /not valid JSON/],
    ['a missing pairs field', '{"texts": ["a"]}', /pairs/],
    ['an empty pairs list', '{"pairs": []}', /must not be empty/],
    ['a pair that is not two strings', '{"pairs": [["only one"]]}', /pairs/],
    ['a non-string passage', '{"pairs": [["q", 42]]}', /pairs/],
  ])('answers 400 with a JSON error for %s', async (_label, body, message) => {
    const res = await post('/invocations', body);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(message);
  });

  it('answers 413 to a body over 6 MB and stays up', async () => {
    const big = JSON.stringify({ pairs: [['q', 'x'.repeat(MAX_REQUEST_BYTES)]] });
    const res = await post('/invocations', big);
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: string }).error).toMatch(/exceeds/);
    const ping = await fetch(`${server.url}/ping`);
    expect(ping.status).toBe(200);
  });

  it('answers 404 for unknown routes', async () => {
    expect((await fetch(`${server.url}/nope`)).status).toBe(404);
  });
});

describe('endpoint server protects itself', () => {
  it('refuses 1,000 pairs of 5,000 characters with 413 naming maxTokens before any batch; /ping still answers', async () => {
    const before = counting.batches;
    const res = await invoke(server, longPairs(1000, 5000));
    expect(res.status).toBe(413);
    const error = await errorOf(res);
    expect(error).toMatch(/maxTokens/);
    expect(error).toContain(String(DEFAULT_ENDPOINT_LIMITS.maxTokens));
    expect(counting.batches).toBe(before);
    expect((await fetch(`${server.url}/ping`)).status).toBe(200);
  });

  it('answers 413 naming maxPairs to more than maxPairs pairs, without scoring', async () => {
    const before = counting.batches;
    const res = await invoke(server, longPairs(DEFAULT_ENDPOINT_LIMITS.maxPairs + 1, 10));
    expect(res.status).toBe(413);
    expect(await errorOf(res)).toMatch(/1001 pairs.*maxPairs limit of 1000/);
    expect(counting.batches).toBe(before);
  });

  it('answers /ping within 1 s while a large admitted request is being scored', async () => {
    const { server: big, encoder } = await startServer({ maxTokens: 1_000_000 });
    try {
      const pairs = longPairs(800, 2000);
      let finished = false;
      const scoring = invoke(big, pairs).then(async (res) => {
        finished = true;
        return { status: res.status, body: (await res.json()) as { scores: number[] } };
      });
      for (const afterBatches of [1, 10, 20]) {
        await encoder.untilBatches(afterBatches);
        const started = performance.now();
        const ping = await fetch(`${big.url}/ping`);
        expect(ping.status).toBe(200);
        expect(performance.now() - started).toBeLessThan(1000);
        expect(finished).toBe(false);
      }
      const { status, body } = await scoring;
      expect(status).toBe(200);
      expect(body.scores).toHaveLength(pairs.length);
    } finally {
      await big.close();
    }
  });

  it('stops scoring when the client aborts its request: fewer batches run than the request needed', async () => {
    const { server: target, encoder } = await startServer();
    try {
      const pairs = longPairs(300, 2000);
      const client = new AbortController();
      const request = invoke(target, pairs, client.signal);
      await encoder.untilBatches(2);
      client.abort();
      await expect(request).rejects.toMatchObject({ name: 'AbortError' });
      expect(await encoder.lastCall).toMatchObject({ message: 'client disconnected' });
      expect(encoder.batches).toBeLessThan(batchesFor(pairs));
      expect((await fetch(`${target.url}/ping`)).status).toBe(200);
    } finally {
      await target.close();
    }
  });

  it('answers 503 with Retry-After to a concurrent request that would pass maxQueuedPairs, then serves again', async () => {
    const { server: target, encoder } = await startServer({ maxPairs: 64, maxQueuedPairs: 64 });
    try {
      const first = invoke(target, longPairs(64, 2000));
      await encoder.untilBatches(1);
      const second = await invoke(target, [reference.pairs[0]!]);
      expect(second.status).toBe(503);
      expect(second.headers.get('retry-after')).toBe('1');
      expect(await errorOf(second)).toBe('endpoint is saturated; retry after 1 s');
      expect((await first).status).toBe(200);
      const after = await invoke(target, [reference.pairs[0]!]);
      expect(after.status).toBe(200);
      expect(((await after.json()) as { scores: number[] }).scores).toHaveLength(1);
    } finally {
      await target.close();
    }
  });

  it('answers 503 with Retry-After when a request passes timeoutMs, stops its scoring and stays up', async () => {
    const { server: target, encoder } = await startServer({ timeoutMs: 100 });
    try {
      const pairs = longPairs(300, 2000);
      const res = await invoke(target, pairs);
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('1');
      expect(await errorOf(res)).toMatch(/100 ms deadline \(timeoutMs\)/);
      expect(await encoder.lastCall).toMatchObject({ statusCode: 503 });
      expect(encoder.batches).toBeLessThan(batchesFor(pairs));
      expect((await fetch(`${target.url}/ping`)).status).toBe(200);
      expect((await invoke(target, [reference.pairs[0]!])).status).toBe(200);
    } finally {
      await target.close();
    }
  });

  it('answers an unexpected encoder failure with a bare 500 {"error": "internal error"} and logs it', async () => {
    const logged: unknown[] = [];
    const log: Log = { ...silentLog, error: (_message, ...extra) => logged.push(...extra) };
    const failing: CrossEncoder = {
      name: 'failing',
      score: () => Promise.reject(new Error('ENOENT: no such file /opt/ml/model/onnx/model.onnx')),
    };
    const target = await startEndpointServer({ encoder: failing, port: 0, log });
    try {
      const res = await invoke(target, [reference.pairs[0]!]);
      expect(res.status).toBe(500);
      expect(await res.text()).toBe('{"error":"internal error"}');
      expect(logged).toHaveLength(1);
    } finally {
      await target.close();
    }
  });

  it('refuses limits that could never admit a full request', async () => {
    const limits = { maxPairs: 10, maxQueuedPairs: 5 };
    await expect(startEndpointServer({ encoder: realEncoder, port: 0, log: silentLog, ...limits })).rejects.toThrow(
      /maxQueuedPairs \(5\) must be at least maxPairs \(10\)/,
    );
  });
});
