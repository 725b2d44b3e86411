import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { extractText } from '../../shared/adapters/extract/index.js';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startEndpointServer, type EndpointServer } from '../../endpoint/server.js';
import { startLocalS3, type LocalS3 } from '../../local/s3Server.js';
import { TransformersEmbedder } from '../../shared/adapters/transformers/embedder.js';
import { loadConfig } from '../../shared/wiring/config.js';
import { indexDocument, syncDocuments } from '../../shared/pipeline/ingest/ingest.js';
import { silentLog } from '../../shared/pipeline/log.js';
import { configureModelHub } from '../../shared/adapters/transformers/hub.js';
import { LocalCrossEncoder } from '../../shared/adapters/transformers/localCrossEncoder.js';
import { S3DocumentReader, createS3Client } from '../../shared/adapters/s3/s3Documents.js';
import { LanceStore } from '../../shared/adapters/lancedb/lanceStore.js';
import {
  FIXTURE_MODELS,
  SAMPLE_DOCUMENT,
  eventFixture,
  importWithEnv,
  lambdaContext,
  localS3Env,
  openLocalS3Table,
  type Handler,
  type HttpResult,
} from '../helpers.js';
import { captureJsonLines, emfMetric } from '../jsonLines.js';
import { storeOptionsFrom } from '../../shared/wiring/store.js';
import type { QueryResponse } from '../../shared/pipeline/query/query.js';

let s3: LocalS3;
let endpoint: EndpointServer;
let encoder: LocalCrossEncoder;
const sample = readFileSync(SAMPLE_DOCUMENT, 'utf8');

/**
 * Imports a fresh copy of the query handler under exactly the given environment changes (config is read at
 * import): earlier stubs are undone first, and the file's afterAll restores the environment.
 */
async function loadHandler(env: Record<string, string>): Promise<Handler> {
  vi.unstubAllEnvs();
  return importWithEnv(
    env,
    async () => (await import('../../functions/query/handler.js')).handler as unknown as Handler,
  );
}

function baseEnv(extra: Record<string, string> = {}): Record<string, string> {
  return localS3Env(s3, {
    RERANK_BACKEND: 'sagemaker',
    SAGEMAKER_ENDPOINT_NAME: 'reranker',
    SAGEMAKER_ENDPOINT_URL: endpoint.url,
    RERANKER_DTYPE: 'fp32',
    POWERTOOLS_LOG_LEVEL: 'ERROR',
    ...extra,
  });
}

function httpEvent(body: string | undefined): unknown {
  const event = eventFixture<Record<string, unknown>>('apigw/query.json');
  event.body = body;
  return event;
}

beforeAll(async () => {
  configureModelHub({ dir: FIXTURE_MODELS, allowRemote: false });
  s3 = await startLocalS3({ buckets: ['vectors', 'documents'] });
  encoder = await LocalCrossEncoder.create({ model: 'tiny-ce', dtype: 'fp32' });
  endpoint = await startEndpointServer({ encoder, port: 0, log: silentLog });
  const embedder = await TransformersEmbedder.create({ model: 'tiny-embed' });
  const store = await openLocalS3Table(s3.endpoint);
  const deps = {
    store,
    embedder,
    log: silentLog,
    extract: extractText,
    rules: { extensions: ['.txt'], maxBytes: 1e7 },
    split: { chunkSize: 500, chunkOverlap: 100 },
  };
  await indexDocument('state_of_the_union.txt', Buffer.from(sample), deps);
  await indexDocument('other.txt', Buffer.from('The economy plan is in another file too.'), deps);
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await endpoint?.close();
  await s3?.close();
});

describe('query handler (LanceDB on s3://, SageMaker backend on the local endpoint)', () => {
  let handler: Handler;
  beforeAll(async () => {
    handler = await loadHandler(baseEnv());
  });
  const call = async (body: string | undefined) =>
    (await handler(httpEvent(body), lambdaContext('query'))) as HttpResult;

  it('answers POST /query with the top 3 reranked chunks, best first', async () => {
    const res = await call(JSON.stringify({ query: 'What is the plan for the economy?' }));
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/json');
    const body = JSON.parse(res.body) as QueryResponse;
    expect(body.reranked).toBe(true);
    expect(body.results).toHaveLength(3);
    const scores = body.results.map((r) => r.score!);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    for (const r of body.results) {
      if (r.source === 'state_of_the_union.txt') expect(sample).toContain(r.text);
      expect(r.retrievalRank).toBeGreaterThanOrEqual(1);
      expect(r.retrievalRank).toBeLessThanOrEqual(20);
    }
    // The endpoint's scores are the cross-encoder's: score the returned texts independently.
    const direct = await encoder.score(body.results.map((r) => ['What is the plan for the economy?', r.text]));
    direct.forEach((s, i) => expect(Math.abs(s - scores[i]!)).toBeLessThan(1e-4));
    expect(Object.keys(body.timings).sort()).toEqual(['embed', 'rerank', 'search', 'total']);
    // Citations: the offsets point at the chunk in the document's text; a text file has no pages.
    for (const r of body.results) {
      const text = r.source === 'state_of_the_union.txt' ? sample : 'The economy plan is in another file too.';
      expect(text.slice(r.offsets!.start, r.offsets!.end)).toBe(r.text);
      expect(r.pages).toBeNull();
    }
  });

  it('honours k and topN: reranks the top k retrieved and returns topN of them', async () => {
    // The sample document has ~96 chunks, so only k bounds the retrieval ranks.
    const res = await call(
      JSON.stringify({ query: 'economy', k: 5, topN: 2, filter: { source: 'state_of_the_union.txt' } }),
    );
    expect(res.statusCode).toBe(200);
    const body = JSON.parse(res.body) as QueryResponse;
    expect(body.reranked).toBe(true);
    expect(body.results).toHaveLength(2);
    for (const r of body.results) {
      expect(r.retrievalRank).toBeGreaterThanOrEqual(1);
      expect(r.retrievalRank).toBeLessThanOrEqual(5);
    }
  });

  it('returns only chunks of the source named in the filter', async () => {
    const res = await call(JSON.stringify({ query: 'economy', k: 5, topN: 5, filter: { source: 'other.txt' } }));
    expect(res.statusCode).toBe(200);
    const body = JSON.parse(res.body) as QueryResponse;
    expect(body.results.map((r) => r.source)).toEqual(['other.txt']);
  });

  it.each(['vector', 'fts', 'hybrid'])('applies a Bedrock-style filter in %s mode', async (mode) => {
    const filter = {
      orAll: [{ equals: { key: 'source', value: 'other.txt' } }, { startsWith: { key: 'source', value: 'oth' } }],
    };
    const res = await call(JSON.stringify({ query: 'economy plan', mode, k: 5, topN: 5, filter }));
    expect(res.statusCode).toBe(200);
    const body = JSON.parse(res.body) as QueryResponse;
    expect(body.results.map((r) => r.source)).toEqual(['other.txt']);
  });

  it('answers 400 naming the filterable keys for a filter on an unknown key', async () => {
    const res = await call(JSON.stringify({ query: 'economy', filter: { equals: { key: 'team', value: 'eng' } } }));
    expect(res.statusCode).toBe(400);
    expect(JSON.parse(res.body)).toEqual({ error: 'filter: unknown key "team"; filterable: source, tenant' });
  });

  it('retrieves topN candidates when topN exceeds the default k and k is not given', async () => {
    // The sample document alone has ~96 chunks, more than the default k (20) and the 25 asked for.
    const res = await call(JSON.stringify({ query: 'What is the plan for the economy?', topN: 25 }));
    expect(res.statusCode).toBe(200);
    const body = JSON.parse(res.body) as QueryResponse;
    expect(body.reranked).toBe(true);
    expect(body.results).toHaveLength(25);
    expect(Math.max(...body.results.map((r) => r.retrievalRank))).toBeGreaterThan(20);
  });

  it('treats a quote in the filter as data, not SQL', async () => {
    const res = await call(JSON.stringify({ query: 'economy', filter: { source: "x' OR '1'='1" } }));
    expect(res.statusCode).toBe(200);
    expect((JSON.parse(res.body) as QueryResponse).results).toEqual([]);
  });

  it.each([
    ['malformed JSON', '{"query": ', /not valid JSON/],
    ['a missing body', undefined, /body is required/],
    ['a missing query', '{}', /query is required/],
    ['a non-string query', '{"query": 42}', /query must be a string/],
    ['an empty query', '{"query": "   "}', /must not be empty/],
    ['a query over 2,000 characters', JSON.stringify({ query: 'a'.repeat(2001) }), /at most 2000/],
    ['k = 0', '{"query": "q", "k": 0}', /k:/],
    ['k = 101', '{"query": "q", "k": 101}', /k:/],
    ['a fractional k', '{"query": "q", "k": 2.5}', /k:/],
    ['topN > k', '{"query": "q", "k": 5, "topN": 6}', /topN must not exceed k/],
    ['an unknown field', '{"query": "q", "limit": 3}', /unknown field\(s\): limit/],
    ['an unknown filter field', '{"query": "q", "filter": {"where": "1=1"}}', /unknown field\(s\): where/],
  ])('answers 400 with a message for %s', async (_label, body, message) => {
    const res = await call(body);
    expect(res.statusCode).toBe(400);
    expect((JSON.parse(res.body) as { error: string }).error).toMatch(message);
  });

  it('answers 413 for a body over 64 KiB', async () => {
    const res = await call(JSON.stringify({ query: 'q', pad: 'x'.repeat(70_000) }));
    expect(res.statusCode).toBe(413);
  });

  it('decodes base64 bodies', async () => {
    const event = httpEvent(Buffer.from(JSON.stringify({ query: 'economy', topN: 1 })).toString('base64')) as Record<
      string,
      unknown
    >;
    event.isBase64Encoded = true;
    const res = (await handler(event, lambdaContext('query'))) as HttpResult;
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body).results).toHaveLength(1);
  });

  it('gives each reranked result a relevanceScore, the sigmoid of its raw score', async () => {
    const body = JSON.parse((await call(JSON.stringify({ query: 'economy', topN: 5 }))).body) as QueryResponse;
    for (const r of body.results) expect(r.relevanceScore).toBeCloseTo(1 / (1 + Math.exp(-r.score!)), 12);
  });

  it('drops results below minRelevance', async () => {
    const all = JSON.parse((await call(JSON.stringify({ query: 'economy', topN: 20 }))).body) as QueryResponse;
    const relevances = all.results.map((r) => r.relevanceScore!);
    const cut = [...relevances].sort((a, b) => a - b)[Math.floor(relevances.length / 2)]!;
    const kept = JSON.parse(
      (await call(JSON.stringify({ query: 'economy', topN: 20, minRelevance: cut }))).body,
    ) as QueryResponse;
    expect(kept.results.length).toBe(relevances.filter((r) => r >= cut).length);
    expect(kept.results.every((r) => r.relevanceScore! >= cut)).toBe(true);
  });

  it('returns at most one result per source, its best chunk, with group "source"', async () => {
    const res = await call(JSON.stringify({ query: 'The economy plan', k: 50, topN: 5, group: 'source' }));
    const body = JSON.parse(res.body) as QueryResponse;
    const sources = body.results.map((r) => r.source);
    expect(new Set(sources).size).toBe(sources.length);
    expect(sources.sort()).toEqual(['other.txt', 'state_of_the_union.txt']);
    const ungrouped = JSON.parse(
      (await call(JSON.stringify({ query: 'The economy plan', k: 50, topN: 50 }))).body,
    ) as QueryResponse;
    for (const r of body.results) expect(r.id).toBe(ungrouped.results.find((u) => u.source === r.source)!.id);
  });

  it.each([
    ['minRelevance above 1', { query: 'q', minRelevance: 1.5 }, /minRelevance/],
    ['an unknown group', { query: 'q', group: 'chunk' }, /group/],
  ])('answers 400 for %s', async (_label, body, message) => {
    const res = await call(JSON.stringify(body));
    expect(res.statusCode).toBe(400);
    expect((JSON.parse(res.body) as { error: string }).error).toMatch(message);
  });

  it('answers a direct invoke with the response object itself', async () => {
    const body = (await handler(
      { query: 'What is the plan for the economy?', topN: 2 },
      lambdaContext('query'),
    )) as QueryResponse;
    expect(body.results).toHaveLength(2);
    expect(body.reranked).toBe(true);
  });

  it('prints the four stage latencies, the result count and the rerank outcome as EMF metrics', async () => {
    const { result, emf } = await captureJsonLines(() => call(JSON.stringify({ query: 'economy', topN: 2 })));
    const body = JSON.parse(result.body) as QueryResponse;
    expect(emfMetric(emf, 'embedLatency')).toBe(body.timings.embed);
    expect(emfMetric(emf, 'searchLatency')).toBe(body.timings.search);
    expect(emfMetric(emf, 'rerankLatency')).toBe(body.timings.rerank);
    expect(emfMetric(emf, 'totalLatency')).toBe(body.timings.total);
    expect(emfMetric(emf, 'results')).toBe(2);
    expect(emfMetric(emf, 'reranked')).toBe(1);
    expect(emfMetric(emf, 'rerankFallback')).toBe(0);
    expect(emf[0]!._aws.CloudWatchMetrics[0]).toMatchObject({ Namespace: 'RerankPipeline', Dimensions: [['service']] });
  });

  it("carries the caller's x-correlation-id in every log line of the request and back in the answer", async () => {
    const logged = await loadHandler(baseEnv({ POWERTOOLS_LOG_LEVEL: 'INFO' }));
    const event = httpEvent(JSON.stringify({ query: 'economy' })) as { headers: Record<string, string> };
    event.headers = { ...event.headers, 'X-Correlation-Id': 'order-4711' };
    const { result, logs } = await captureJsonLines(
      async () => (await logged(event, lambdaContext('query'))) as HttpResult,
    );
    expect(result.headers['x-correlation-id']).toBe('order-4711');
    expect(logs.length).toBeGreaterThan(0);
    for (const line of logs) expect(line.correlation_id).toBe('order-4711');
    // Without a usable header, API Gateway's request id names the request.
    const bad = httpEvent(JSON.stringify({ query: 'economy' })) as { headers: Record<string, string> };
    bad.headers = { ...bad.headers, 'x-correlation-id': 'not ok\n{"level":"forged"}' };
    const second = (await logged(bad, lambdaContext('query'))) as HttpResult;
    expect(second.headers['x-correlation-id']).toBe(
      eventFixture<{ requestContext: { requestId: string } }>('apigw/query.json').requestContext.requestId,
    );
  });

  it('answers no results before anything was ingested, without creating the table (it only reads)', async () => {
    const empty = await loadHandler(baseEnv({ VECTOR_TABLE: 'never-ingested' }));
    const body = (await empty({ query: 'economy' }, lambdaContext('query'))) as QueryResponse;
    expect(body.results).toEqual([]);
    const table = await LanceStore.openExisting(
      storeOptionsFrom(loadConfig(baseEnv({ VECTOR_TABLE: 'never-ingested' }))),
    );
    expect(table).toBeNull();
  });

  it('fails a bad direct invoke with a named error', async () => {
    const error = await handler({ query: '' }, lambdaContext('query')).catch((e: unknown) => e);
    expect((error as Error).name).toBe('BadRequestError');
  });
});

describe('query handler when the endpoint is down', () => {
  const deadEnv = () => ({
    SAGEMAKER_ENDPOINT_URL: 'http://127.0.0.1:9',
    RERANK_MAX_RETRIES: '1',
    RERANK_TIMEOUT_MS: '2000',
  });

  it('answers 503 under the error policy', async () => {
    const handler = await loadHandler(baseEnv({ ...deadEnv(), RERANK_FAILURE_POLICY: 'error' }));
    const res = (await handler(httpEvent('{"query": "economy"}'), lambdaContext('query'))) as HttpResult;
    expect(res.statusCode).toBe(503);
    expect(res.body).not.toMatch(/127\.0\.0\.1|ECONNREFUSED/);
  });

  it('returns retrieval order flagged reranked=false under the fallback policy', async () => {
    const handler = await loadHandler(baseEnv({ ...deadEnv(), RERANK_FAILURE_POLICY: 'fallback' }));
    const res = (await handler(httpEvent('{"query": "economy"}'), lambdaContext('query'))) as HttpResult;
    expect(res.statusCode).toBe(200);
    const body = JSON.parse(res.body) as QueryResponse;
    expect(body.reranked).toBe(false);
    expect(body.results.map((r) => r.retrievalRank)).toEqual([1, 2, 3]);
    expect(body.results.every((r) => r.score === null)).toBe(true);
    const { emf } = await captureJsonLines(() => handler(httpEvent('{"query": "economy"}'), lambdaContext('query')));
    expect(emfMetric(emf, 'rerankFallback')).toBe(1);
    expect(emfMetric(emf, 'reranked')).toBe(0);
  });
});

describe('query handler: tenants and metadata filters', () => {
  const TABLE = 'tenants';
  let handler: Handler;
  let client: S3Client;

  /** Two tenants with the same plan (different metadata), and an old note of the first. */
  beforeAll(async () => {
    client = createS3Client({ region: 'us-east-1', endpoint: s3.endpoint });
    const put = (Key: string, Body: string) => client.send(new PutObjectCommand({ Bucket: 'documents', Key, Body }));
    const sidecar = (attributes: Record<string, unknown>) => JSON.stringify({ metadataAttributes: attributes });
    const plan = sample.slice(0, 3000);
    await put('docs/acme/plan.txt', plan);
    await put('docs/acme/plan.txt.metadata.json', sidecar({ team: 'eng', year: 2024, tags: ['q4', 'infra'] }));
    await put('docs/globex/plan.txt', plan);
    await put('docs/globex/plan.txt.metadata.json', sidecar({ team: 'eng', year: 2024, tags: ['q4'] }));
    await put('docs/acme/old.txt', sample.slice(3000, 5000));
    await put('docs/acme/old.txt.metadata.json', sidecar({ team: 'ops', year: 2019 }));
    const store = await LanceStore.open({
      ...storeOptionsFrom(loadConfig(baseEnv({ VECTOR_TABLE: TABLE }))),
      dimension: async () => (await TransformersEmbedder.create({ model: 'tiny-embed' })).dimension,
    });
    const deps = {
      store,
      embedder: await TransformersEmbedder.create({ model: 'tiny-embed' }),
      log: silentLog,
      extract: extractText,
      rules: { extensions: ['.txt'], maxBytes: 1e7 },
      split: { chunkSize: 500, chunkOverlap: 100 },
    };
    const keys = ['docs/acme/plan.txt', 'docs/globex/plan.txt', 'docs/acme/old.txt'];
    const results = await syncDocuments(keys, new S3DocumentReader(client, 'documents'), deps);
    expect(results.map((r) => r.action)).toEqual(['indexed', 'indexed', 'indexed']);
    await store.ensureIndexes();
    handler = await loadHandler(baseEnv({ VECTOR_TABLE: TABLE }));
  });
  afterAll(() => client?.destroy());

  /** POST /query as API Gateway passes it on after its JWT authorizer accepted a token with these claims. */
  const asUser = async (claims: Record<string, string> | null, body: Record<string, unknown>) => {
    const event = httpEvent(JSON.stringify(body)) as { requestContext: Record<string, unknown> };
    if (claims) event.requestContext = { ...event.requestContext, authorizer: { jwt: { claims, scopes: null } } };
    const res = (await handler(event, lambdaContext('query'))) as HttpResult;
    return { status: res.statusCode, body: JSON.parse(res.body) as QueryResponse & { error?: string } };
  };
  const sources = (response: QueryResponse) => [...new Set(response.results.map((r) => r.source))].sort();

  it.each(['vector', 'fts', 'hybrid'])("scopes a JWT caller to its tenant's chunks in %s mode", async (mode) => {
    const query = { query: 'What is the plan for the economy?', mode, k: 50, topN: 50 };
    const acme = await asUser({ sub: 'u1', tenant: 'acme' }, query);
    expect(acme.status).toBe(200);
    expect(sources(acme.body)).toEqual(['docs/acme/old.txt', 'docs/acme/plan.txt']);
    // A filter can narrow the scope but never widen it.
    const widening = {
      orAll: [{ equals: { key: 'tenant', value: 'globex' } }, { startsWith: { key: 'source', value: 'docs/' } }],
    };
    const widened = await asUser({ sub: 'u1', tenant: 'acme' }, { ...query, filter: widening });
    expect(sources(widened.body)).toEqual(['docs/acme/old.txt', 'docs/acme/plan.txt']);
    const globex = await asUser({ sub: 'u2', tenant: 'globex' }, query);
    expect(sources(globex.body)).toEqual(['docs/globex/plan.txt']);
  });

  it('refuses (403) a JWT caller naming another tenant or without the claim; under required, callers must state one', async () => {
    const other = await asUser({ sub: 'u1', tenant: 'acme' }, { query: 'plan', tenant: 'globex' });
    expect(other).toEqual({ status: 403, body: { error: 'tenant: a request may only name its own tenant' } });
    // By default (TENANCY=jwt) a token without the claim is refused too: with JWT auth every search is scoped.
    const unclaimed = await asUser({ sub: 'u3' }, { query: 'plan' });
    expect(unclaimed).toEqual({
      status: 403,
      body: { error: 'the token carries no "tenant" claim; every search is scoped to a tenant' },
    });
    // A scoped caller is not told other tenants' attribute names.
    const unknown = await asUser(
      { sub: 'u1', tenant: 'acme' },
      { query: 'plan', filter: { equals: { key: 'x', value: 1 } } },
    );
    expect(unknown).toEqual({
      status: 400,
      body: { error: 'filter: a key is not filterable, or not with that operator or value type' },
    });
    const required = await loadHandler(baseEnv({ VECTOR_TABLE: TABLE, TENANCY: 'required' }));
    const event = httpEvent(JSON.stringify({ query: 'plan' })) as { requestContext: Record<string, unknown> };
    event.requestContext = { ...event.requestContext, authorizer: { jwt: { claims: { sub: 'u3' }, scopes: null } } };
    const res = (await required(event, lambdaContext('query'))) as HttpResult;
    expect(res.statusCode).toBe(403);
    // A direct invoke states its tenant; without one, under TENANCY=required, it fails with a named error.
    const error = await required({ query: 'plan' }, lambdaContext('query')).catch((e: unknown) => e);
    expect((error as Error).name).toBe('BadRequestError');
    const scoped = (await required(
      { query: 'plan', tenant: 'globex', topN: 10 },
      lambdaContext('query'),
    )) as QueryResponse;
    expect(sources(scoped)).toEqual(['docs/globex/plan.txt']);
  });

  it('filters on metadata attributes and returns each result with its metadata', async () => {
    const filter = {
      andAll: [
        { equals: { key: 'team', value: 'eng' } },
        { greaterThan: { key: 'year', value: 2020 } },
        { listContains: { key: 'tags', value: 'infra' } },
      ],
    };
    const { status, body } = await asUser(null, { query: 'economy', k: 50, topN: 50, filter });
    expect(status).toBe(200);
    expect(sources(body)).toEqual(['docs/acme/plan.txt']);
    for (const r of body.results) expect(r.metadata).toEqual({ team: 'eng', year: 2024, tags: ['q4', 'infra'] });
    const unknown = await asUser(null, { query: 'economy', filter: { equals: { key: 'region', value: 'eu' } } });
    expect(unknown).toEqual({
      status: 400,
      body: { error: 'filter: unknown key "region"; filterable: source, tenant, team, year, tags' },
    });
    const wrongType = await asUser(null, { query: 'economy', filter: { equals: { key: 'year', value: '2024' } } });
    expect(wrongType).toEqual({ status: 400, body: { error: 'filter: "year" takes number values, got "2024"' } });
  });
});
