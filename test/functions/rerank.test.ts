import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type EndpointServer, startEndpointServer } from '../../endpoint/server.js';
import { silentLog } from '../../shared/pipeline/log.js';
import { configureModelHub } from '../../shared/adapters/transformers/hub.js';
import { sigmoid } from '../../shared/pipeline/rerank/crossEncoder.js';
import { LocalCrossEncoder } from '../../shared/adapters/transformers/localCrossEncoder.js';
import { eventFixture, FIXTURE_MODELS, fixtureEnv, lambdaContext, type Handler, type HttpResult } from '../helpers.js';

let endpoint: EndpointServer;
let encoder: LocalCrossEncoder;
let handler: Handler;
const query = 'What is the plan for the economy?';
const docs = ['We will build the economy from the bottom up.', 'A story about a cat.', 'Inflation is coming down.'];

beforeAll(async () => {
  configureModelHub({ dir: FIXTURE_MODELS, allowRemote: false });
  encoder = await LocalCrossEncoder.create({ model: 'tiny-ce', dtype: 'fp32' });
  endpoint = await startEndpointServer({ encoder, port: 0, log: silentLog });
  // The SageMaker back end through the real SDK client, as the deployed function runs; no LanceDB, no embedder.
  const env = fixtureEnv({
    RERANK_BACKEND: 'sagemaker',
    SAGEMAKER_ENDPOINT_NAME: 'reranker',
    SAGEMAKER_ENDPOINT_URL: endpoint.url,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'x',
    AWS_SECRET_ACCESS_KEY: 'x',
    POWERTOOLS_LOG_LEVEL: 'ERROR',
  });
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
  vi.resetModules();
  handler = (await import('../../functions/rerank/handler.js')).handler as unknown as Handler;
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await endpoint?.close();
});

function post(path: string, body: string | undefined): Promise<HttpResult> {
  const event = eventFixture<Record<string, unknown>>('apigw/query.json');
  event.rawPath = path;
  event.routeKey = `POST ${path}`;
  event.body = body;
  return handler(event, lambdaContext('rerank')) as Promise<HttpResult>;
}
const json = (res: HttpResult) => JSON.parse(res.body) as Record<string, unknown>;

describe('rerank function: Cohere v2 (POST /v2/rerank)', () => {
  it('answers results best first with valid indices and relevance_score in [0, 1] ordered as the raw scores', async () => {
    const res = await post(
      '/v2/rerank',
      JSON.stringify({ model: 'any', query, documents: docs, return_documents: true }),
    );
    expect(res.statusCode).toBe(200);
    const body = json(res) as {
      id: string;
      results: { index: number; relevance_score: number; document: { text: string } }[];
      meta: unknown;
    };
    expect(body.id).toMatch(/^[0-9a-f-]{36}$/);
    const raw = await encoder.score(docs.map((d) => [query, d]));
    const expected = raw.map((s, i) => ({ index: i, s })).sort((a, b) => b.s - a.s);
    expect(body.results.map((r) => r.index)).toEqual(expected.map((e) => e.index));
    body.results.forEach((r, i) => {
      expect(r.relevance_score).toBeCloseTo(sigmoid(expected[i]!.s), 5);
      expect(r.document.text).toBe(docs[r.index]);
    });
    expect(body.meta).toEqual({ api_version: { version: '2' }, billed_units: { search_units: 1 } });
  });

  it('accepts {text} documents and cuts to top_n, without documents unless asked', async () => {
    const res = await post(
      '/v2/rerank',
      JSON.stringify({ query, documents: docs.map((text) => ({ text })), top_n: 2 }),
    );
    const body = json(res) as { results: { index: number; document?: unknown }[] };
    expect(body.results).toHaveLength(2);
    expect(body.results.every((r) => r.document === undefined)).toBe(true);
  });

  const bad: [string, unknown, RegExp][] = [
    ['malformed JSON', '{"query": ', /not valid JSON/],
    ['no body', undefined, /body is required/],
    ['a missing query', { documents: docs }, /query is required/],
    ['a non-string query', { query: 1, documents: docs }, /query must be a string/],
    ['an empty query', { query: '  ', documents: docs }, /query must not be empty/],
    ['a query over 10,000 characters', { query: 'q'.repeat(10_001), documents: docs }, /at most 10000 characters/],
    ['missing documents', { query }, /documents is required/],
    ['documents not an array', { query, documents: 'x' }, /documents must be an array/],
    ['an empty document list', { query, documents: [] }, /documents must not be empty/],
    ['1,001 documents', { query, documents: Array(1001).fill('d') }, /at most 1000 items/],
    ['a number as a document', { query, documents: [1] }, /string or \{"text": string\}/],
    ['a document object without text', { query, documents: [{ body: 'x' }] }, /string or \{"text": string\}/],
    ['top_n = 0', { query, documents: docs, top_n: 0 }, /top_n must be at least 1/],
    ['a negative top_n', { query, documents: docs, top_n: -3 }, /top_n must be at least 1/],
    ['a fractional top_n', { query, documents: docs, top_n: 1.5 }, /top_n must be an integer/],
    ['a string top_n', { query, documents: docs, top_n: '2' }, /top_n/],
    ['max_tokens_per_doc = 0', { query, documents: docs, max_tokens_per_doc: 0 }, /max_tokens_per_doc/],
    ['max_tokens_per_doc over 32,768', { query, documents: docs, max_tokens_per_doc: 40_000 }, /max_tokens_per_doc/],
    ['a non-boolean return_documents', { query, documents: docs, return_documents: 'yes' }, /return_documents/],
    ['an unknown field', { query, documents: docs, rank_fields: ['x'] }, /unknown field\(s\): rank_fields/],
    ['a body that is a JSON array', [query], /Expected object/],
    ['a model name over 256 characters', { model: 'm'.repeat(257), query, documents: docs }, /model/],
  ];
  it.each(bad)('answers 400 {"message"} for %s', async (_label, body, message) => {
    const res = await post('/v2/rerank', typeof body === 'string' || body === undefined ? body : JSON.stringify(body));
    expect(res.statusCode).toBe(400);
    expect(Object.keys(json(res))).toEqual(['message']);
    expect(json(res).message).toMatch(message);
    expect((await post('/v2/rerank', JSON.stringify({ query, documents: ['still serving'] }))).statusCode).toBe(200);
  });

  it('answers 413 {"message"} for a body over 6 MB, and still serves afterwards', async () => {
    const res = await post('/v2/rerank', JSON.stringify({ query, documents: ['x'.repeat(6 * 1024 * 1024)] }));
    expect(res.statusCode).toBe(413);
    expect(json(res).message).toMatch(/exceeds/);
    expect((await post('/v2/rerank', JSON.stringify({ query, documents: docs }))).statusCode).toBe(200);
  });
});

describe('rerank function: TEI (POST /rerank)', () => {
  it('answers [{index, score}] best first, calibrated by default and raw with raw_scores', async () => {
    const calibrated = json({
      ...(await post('/rerank', JSON.stringify({ query, texts: docs }))),
    } as HttpResult) as unknown;
    const raw = (await post('/rerank', JSON.stringify({ query, texts: docs, raw_scores: true, return_text: true })))
      .body;
    const direct = await encoder.score(docs.map((d) => [query, d]));
    const rawItems = JSON.parse(raw) as { index: number; score: number; text: string }[];
    const calibratedItems = calibrated as { index: number; score: number }[];
    expect(rawItems.map((r) => r.index)).toEqual(calibratedItems.map((r) => r.index));
    rawItems.forEach((r, i) => {
      expect(r.score).toBeCloseTo(direct[r.index]!, 5);
      expect(r.text).toBe(docs[r.index]);
      expect(calibratedItems[i]!.score).toBeCloseTo(sigmoid(r.score), 5);
    });
    const scores = rawItems.map((r) => r.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
  });

  const bad: [string, unknown, RegExp][] = [
    ['malformed JSON', '{"texts": [', /not valid JSON/],
    ['no body', undefined, /body is required/],
    ['a missing query', { texts: docs }, /query is required/],
    ['a non-string query', { query: ['q'], texts: docs }, /query must be a string/],
    ['an empty query', { query: '', texts: docs }, /query must not be empty/],
    ['a query over 10,000 characters', { query: 'q'.repeat(10_001), texts: docs }, /at most 10000 characters/],
    ['missing texts', { query }, /texts is required/],
    ['texts not an array', { query, texts: 'abc' }, /texts must be an array/],
    ['an empty texts list', { query, texts: [] }, /texts must not be empty/],
    ['1,001 texts', { query, texts: Array(1001).fill('t') }, /at most 1000 items/],
    ['a number among the texts', { query, texts: ['a', 2] }, /each text must be a string/],
    ['a null text', { query, texts: [null] }, /each text must be a string/],
    ['a non-boolean raw_scores', { query, texts: docs, raw_scores: 1 }, /raw_scores/],
    ['a non-boolean return_text', { query, texts: docs, return_text: 'no' }, /return_text/],
    ['a non-boolean truncate', { query, texts: docs, truncate: 'yes' }, /truncate/],
    ['an unknown truncation_direction', { query, texts: docs, truncation_direction: 'Up' }, /truncation_direction/],
    ['an unknown field', { query, texts: docs, documents: docs }, /unknown field\(s\): documents/],
    ['a Cohere-shaped body', { query, documents: docs }, /texts is required/],
    ['a body that is a string', '"rerank this"', /Expected object/],
    ['a body that is null', 'null', /Expected object/],
  ];
  it.each(bad)('answers 400 {"error", "error_type": "Validation"} for %s', async (_label, body, message) => {
    const res = await post('/rerank', typeof body === 'string' || body === undefined ? body : JSON.stringify(body));
    expect(res.statusCode).toBe(400);
    expect(json(res).error_type).toBe('Validation');
    expect(json(res).error).toMatch(message);
    expect((await post('/rerank', JSON.stringify({ query, texts: ['still serving'] }))).statusCode).toBe(200);
  });

  it('answers 404 for another path', async () => {
    expect((await post('/v1/rerank', '{}')).statusCode).toBe(404);
  });
});

describe('rerank function: direct invoke', () => {
  it('answers a Cohere body with the response object and a TEI body with the list', async () => {
    const cohere = (await handler({ query, documents: docs, top_n: 1 }, lambdaContext('rerank'))) as {
      results: unknown[];
    };
    expect(cohere.results).toHaveLength(1);
    const tei = (await handler({ query, texts: docs }, lambdaContext('rerank'))) as unknown[];
    expect(tei).toHaveLength(3);
  });

  it('fails a bad request with a named error and no stack paths', async () => {
    const error = (await handler({ query: '', documents: docs }, lambdaContext('rerank')).catch(
      (e: unknown) => e,
    )) as Error;
    expect(error.name).toBe('BadRequestError');
    expect(error.stack).not.toMatch(/\//);
  });
});
