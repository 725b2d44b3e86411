import { describe, expect, it } from 'vitest';
import { RerankUnavailableError } from '../../../../shared/pipeline/errors.js';
import type { Log } from '../../../../shared/pipeline/log.js';
import type { AttributeType } from '../../../../shared/pipeline/metadata.js';
import type { ChunkReader, Embedder, SearchHit, SearchOptions } from '../../../../shared/pipeline/ports.js';
import { answerQuery, type QueryDeps } from '../../../../shared/pipeline/query/query.js';
import type { Pair, CrossEncoder } from '../../../../shared/pipeline/ports.js';
import type { QueryRequest } from '../../../../shared/pipeline/query/query.js';

/** Unit tests of the query pipeline's logic, with in-memory fakes of its ports. */

/** Embeds every query as the same fixed vector and records what it was asked. */
class FakeEmbedder implements Embedder {
  readonly modelId = 'fake-embed';
  readonly dimension = 2;
  readonly queries: string[] = [];
  readonly documentCalls: string[][] = [];

  async embedQuery(text: string): Promise<number[]> {
    this.queries.push(text);
    return [1, 0];
  }

  async embedDocuments(texts: string[]): Promise<number[][]> {
    this.documentCalls.push(texts);
    return texts.map(() => [1, 0]);
  }
}

/** Answers vector and text searches from fixed lists (cut to the limit, filtered by source), recording each call. */
class FakeReader implements ChunkReader {
  readonly searches: { vector: number[]; options: SearchOptions }[] = [];
  readonly textSearches: { query: string; options: SearchOptions }[] = [];

  constructor(
    private readonly byVector: SearchHit[],
    private readonly byText: SearchHit[] = byVector,
  ) {}

  async search(vector: number[], options: SearchOptions): Promise<SearchHit[]> {
    this.searches.push({ vector, options });
    return FakeReader.answer(this.byVector, options);
  }

  async searchText(query: string, options: SearchOptions): Promise<SearchHit[]> {
    this.textSearches.push({ query, options });
    return FakeReader.answer(this.byText, options);
  }

  async attributeTypes(): Promise<Record<string, AttributeType>> {
    return {};
  }

  private static answer(hits: SearchHit[], { limit, source }: SearchOptions): SearchHit[] {
    return hits.filter((h) => source === undefined || h.source === source).slice(0, limit);
  }
}

/** Scores each passage from a table (0 when absent), or fails with a given error; records every call. */
class FakeCrossEncoder implements CrossEncoder {
  readonly name = 'fake-ce';
  readonly calls: Pair[][] = [];

  constructor(
    private readonly scores: Record<string, number> = {},
    private readonly failure?: Error,
  ) {}

  async score(pairs: Pair[]): Promise<number[]> {
    this.calls.push(pairs);
    if (this.failure) throw this.failure;
    return pairs.map(([, passage]) => this.scores[passage] ?? 0);
  }
}

class RecordingLog implements Log {
  readonly entries: { level: 'info' | 'warn' | 'error'; message: string; extra: Record<string, unknown>[] }[] = [];
  info(message: string, ...extra: Record<string, unknown>[]): void {
    this.entries.push({ level: 'info', message, extra });
  }
  warn(message: string, ...extra: Record<string, unknown>[]): void {
    this.entries.push({ level: 'warn', message, extra });
  }
  error(message: string, ...extra: Record<string, unknown>[]): void {
    this.entries.push({ level: 'error', message, extra });
  }
}

/** Hits in retrieval order: `t1`, `t2`, ... with descending retrieval scores 1 - i/100. */
function hits(count: number, source = 'doc.txt'): SearchHit[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `id${i + 1}`,
    text: `t${i + 1}`,
    source,
    chunk: i,
    score: 1 - i / 100,
  }));
}

const query: QueryRequest = { query: 'what is the plan?' };

function depsWith(overrides: Partial<QueryDeps> = {}) {
  const embedder = new FakeEmbedder();
  const store = new FakeReader(hits(5));
  const crossEncoder = new FakeCrossEncoder();
  const log = new RecordingLog();
  const deps: QueryDeps = {
    embedder,
    store,
    crossEncoder,
    failurePolicy: 'error',
    defaults: { k: 20, topN: 3 },
    log,
    ...overrides,
  };
  return { deps, embedder, store: deps.store as FakeReader, log: deps.log as RecordingLog };
}

describe('answerQuery: reranking', () => {
  it('reranks the retrieved chunks and returns the topN best first with their retrieval rank and score', async () => {
    const encoder = new FakeCrossEncoder({ t1: 0.1, t2: 3, t3: -1, t4: 2, t5: 0.5 });
    const { deps } = depsWith({ crossEncoder: encoder });
    const response = await answerQuery(query, deps);
    expect(response.reranked).toBe(true);
    expect(response.results).toEqual([
      {
        id: 'id2',
        text: 't2',
        source: 'doc.txt',
        chunk: 1,
        score: 3,
        relevanceScore: 1 / (1 + Math.exp(-3)),
        retrievalRank: 2,
        retrievalScore: 0.99,
        offsets: null,
        metadata: {},
        pages: null,
      },
      {
        id: 'id4',
        text: 't4',
        source: 'doc.txt',
        chunk: 3,
        score: 2,
        relevanceScore: 1 / (1 + Math.exp(-2)),
        retrievalRank: 4,
        retrievalScore: 0.97,
        offsets: null,
        metadata: {},
        pages: null,
      },
      {
        id: 'id5',
        text: 't5',
        source: 'doc.txt',
        chunk: 4,
        score: 0.5,
        relevanceScore: 1 / (1 + Math.exp(-0.5)),
        retrievalRank: 5,
        retrievalScore: 0.96,
        offsets: null,
        metadata: {},
        pages: null,
      },
    ]);
    // Every retrieved chunk was scored against the query, in one call.
    expect(encoder.calls).toEqual([['t1', 't2', 't3', 't4', 't5'].map((t) => [query.query, t])]);
  });

  it('keeps retrieval order for tied rerank scores', async () => {
    const { deps } = depsWith({ crossEncoder: new FakeCrossEncoder({ t3: 1, t4: 1, t1: 1 }) });
    const response = await answerQuery(query, deps);
    expect(response.results.map((r) => r.retrievalRank)).toEqual([1, 3, 4]);
  });

  it('returns retrieval order with reranked false and null scores when the cross-encoder is off (null)', async () => {
    const { deps } = depsWith({ crossEncoder: null });
    const response = await answerQuery(query, deps);
    expect(response.reranked).toBe(false);
    expect(response.results).toEqual([
      {
        id: 'id1',
        text: 't1',
        source: 'doc.txt',
        chunk: 0,
        score: null,
        relevanceScore: null,
        retrievalRank: 1,
        retrievalScore: 1,
        offsets: null,
        metadata: {},
        pages: null,
      },
      {
        id: 'id2',
        text: 't2',
        source: 'doc.txt',
        chunk: 1,
        score: null,
        relevanceScore: null,
        retrievalRank: 2,
        retrievalScore: 0.99,
        offsets: null,
        metadata: {},
        pages: null,
      },
      {
        id: 'id3',
        text: 't3',
        source: 'doc.txt',
        chunk: 2,
        score: null,
        relevanceScore: null,
        retrievalRank: 3,
        retrievalScore: 0.98,
        offsets: null,
        metadata: {},
        pages: null,
      },
    ]);
  });

  it('returns no results and never calls the cross-encoder when retrieval finds nothing', async () => {
    const encoder = new FakeCrossEncoder();
    const { deps } = depsWith({ crossEncoder: encoder, store: new FakeReader([]) });
    const response = await answerQuery(query, deps);
    expect(response.results).toEqual([]);
    expect(response.reranked).toBe(false);
    expect(encoder.calls).toEqual([]);
  });
});

describe('answerQuery: rerank failures', () => {
  it('falls back to retrieval order and logs a warning on RerankUnavailableError under the fallback policy', async () => {
    const failure = new RerankUnavailableError('endpoint reranker: 3 attempts failed');
    const { deps, log } = depsWith({ crossEncoder: new FakeCrossEncoder({}, failure), failurePolicy: 'fallback' });
    const response = await answerQuery(query, deps);
    expect(response.reranked).toBe(false);
    expect(response.results.map((r) => [r.id, r.retrievalRank, r.score])).toEqual([
      ['id1', 1, null],
      ['id2', 2, null],
      ['id3', 3, null],
    ]);
    expect(log.entries).toEqual([
      { level: 'warn', message: 'rerank failed; returning retrieval order', extra: [{ reason: failure.message }] },
    ]);
  });

  it('rethrows RerankUnavailableError under the error policy', async () => {
    const failure = new RerankUnavailableError('endpoint reranker: deadline passed');
    const { deps, log } = depsWith({ crossEncoder: new FakeCrossEncoder({}, failure), failurePolicy: 'error' });
    await expect(answerQuery(query, deps)).rejects.toBe(failure);
    expect(log.entries).toEqual([]);
  });

  it('rethrows a failure that is not RerankUnavailableError even under the fallback policy', async () => {
    const failure = new Error('model returned NaN');
    const { deps, log } = depsWith({ crossEncoder: new FakeCrossEncoder({}, failure), failurePolicy: 'fallback' });
    await expect(answerQuery(query, deps)).rejects.toBe(failure);
    expect(log.entries).toEqual([]);
  });
});

describe('answerQuery: k and topN', () => {
  it('uses the default k and topN when the request gives neither', async () => {
    const { deps, store } = depsWith({ store: new FakeReader(hits(30)), crossEncoder: null });
    const response = await answerQuery(query, deps);
    expect(store.searches.map((s) => s.options.limit)).toEqual([20]);
    expect(response.results).toHaveLength(3);
  });

  it('raises k to topN when topN exceeds the default k and k is not given', async () => {
    const { deps, store } = depsWith({ store: new FakeReader(hits(30)), crossEncoder: new FakeCrossEncoder() });
    const response = await answerQuery({ ...query, topN: 25 }, deps);
    expect(store.searches.map((s) => s.options.limit)).toEqual([25]);
    expect(response.results).toHaveLength(25);
  });

  it('keeps the default k when topN without k is below it', async () => {
    const { deps, store } = depsWith({ store: new FakeReader(hits(30)), crossEncoder: null });
    const response = await answerQuery({ ...query, topN: 2 }, deps);
    expect(store.searches.map((s) => s.options.limit)).toEqual([20]);
    expect(response.results).toHaveLength(2);
  });

  it('respects an explicit k and topN: k candidates reranked, topN returned', async () => {
    const encoder = new FakeCrossEncoder({ t5: 9, t1: 8 });
    const { deps, store } = depsWith({ store: new FakeReader(hits(30)), crossEncoder: encoder });
    const response = await answerQuery({ ...query, k: 5, topN: 2 }, deps);
    expect(store.searches.map((s) => s.options.limit)).toEqual([5]);
    expect(encoder.calls[0]).toHaveLength(5);
    expect(response.results.map((r) => r.retrievalRank)).toEqual([5, 1]);
  });

  it('caps the default topN at an explicit k below it', async () => {
    const { deps } = depsWith({ store: new FakeReader(hits(30)), crossEncoder: null });
    const response = await answerQuery({ ...query, k: 2 }, deps);
    expect(response.results.map((r) => r.retrievalRank)).toEqual([1, 2]);
  });
});

describe('answerQuery: retrieval', () => {
  it('passes filter.source through to the reader', async () => {
    const store = new FakeReader([...hits(2, 'a.txt'), ...hits(2, 'b.txt')]);
    const { deps } = depsWith({ store, crossEncoder: null });
    const response = await answerQuery({ ...query, filter: { source: 'b.txt' } }, deps);
    expect(store.searches.map((s) => s.options)).toEqual([{ limit: 20, source: 'b.txt' }]);
    expect(response.results.map((r) => r.source)).toEqual(['b.txt', 'b.txt']);
  });

  it('searches without a source when the request has no filter', async () => {
    const { deps, store } = depsWith({ crossEncoder: null });
    await answerQuery(query, deps);
    expect(store.searches.map((s) => s.options)).toEqual([{ limit: 20, source: undefined }]);
  });

  it('reports embed, search, rerank and total timings as non-negative numbers', async () => {
    const { deps } = depsWith();
    const { timings } = await answerQuery(query, deps);
    expect(Object.keys(timings).sort()).toEqual(['embed', 'rerank', 'search', 'total']);
    for (const value of Object.values(timings)) {
      expect(typeof value).toBe('number');
      expect(value).toBeGreaterThanOrEqual(0);
    }
  });

  it.each([
    ['vector (the default)', undefined],
    ['vector', { mode: 'vector' as const, rrfK: 60 }],
  ])('embeds the query and runs only the vector search in %s mode', async (_label, retrieval) => {
    const { deps, embedder, store } = depsWith({ retrieval, crossEncoder: null });
    const response = await answerQuery(query, deps);
    expect(embedder.queries).toEqual([query.query]);
    expect(store.searches).toEqual([{ vector: [1, 0], options: { limit: 20, source: undefined } }]);
    expect(store.textSearches).toEqual([]);
    expect(response.results.map((r) => r.id)).toEqual(['id1', 'id2', 'id3']);
  });

  it('runs only the full-text search, without embedding, in fts mode', async () => {
    const store = new FakeReader(hits(5), hits(5).reverse());
    const { deps, embedder } = depsWith({ store, retrieval: { mode: 'fts', rrfK: 60 }, crossEncoder: null });
    const response = await answerQuery(query, deps);
    expect(embedder.queries).toEqual([]);
    expect(store.searches).toEqual([]);
    expect(store.textSearches).toEqual([{ query: query.query, options: { limit: 20, source: undefined } }]);
    expect(response.results.map((r) => r.id)).toEqual(['id5', 'id4', 'id3']);
    expect(response.timings.embed).toBe(0);
  });

  it('runs both searches and fuses them with RRF (its rrfK) in hybrid mode', async () => {
    const [a, b, c] = hits(3);
    const store = new FakeReader([a!, b!], [b!, c!]);
    const { deps, embedder } = depsWith({ store, retrieval: { mode: 'hybrid', rrfK: 1 }, crossEncoder: null });
    const response = await answerQuery(query, deps);
    expect(embedder.queries).toEqual([query.query]);
    expect(store.searches).toHaveLength(1);
    expect(store.textSearches).toHaveLength(1);
    // b is in both lists: 1/(1+2) + 1/(1+1); a: 1/(1+1); c: 1/(1+2).
    expect(response.results.map((r) => [r.id, r.retrievalRank])).toEqual([
      ['id2', 1],
      ['id1', 2],
      ['id3', 3],
    ]);
    expect(response.results.map((r) => r.retrievalScore)).toEqual([1 / 3 + 1 / 2, 1 / 2, 1 / 3]);
  });
});

describe('answerQuery: per-request mode', () => {
  it('runs the first stage in the mode the request names, over the configured one', async () => {
    const store = new FakeReader(hits(5), hits(5).reverse());
    const { deps, embedder } = depsWith({ store, retrieval: { mode: 'vector', rrfK: 60 }, crossEncoder: null });
    const response = await answerQuery({ ...query, mode: 'fts' }, deps);
    expect(embedder.queries).toEqual([]);
    expect(store.searches).toEqual([]);
    expect(store.textSearches).toHaveLength(1);
    expect(response.results.map((r) => r.id)).toEqual(['id5', 'id4', 'id3']);
  });

  it('runs both searches for a hybrid request when the configured mode is fts', async () => {
    const { deps, embedder, store } = depsWith({ retrieval: { mode: 'fts', rrfK: 60 }, crossEncoder: null });
    await answerQuery({ ...query, mode: 'hybrid' }, deps);
    expect(embedder.queries).toEqual([query.query]);
    expect(store.searches).toHaveLength(1);
    expect(store.textSearches).toHaveLength(1);
  });
});

describe('answerQuery: candidates', () => {
  it('lists every first-stage candidate in retrieval order with its rank after reranking, when asked', async () => {
    const encoder = new FakeCrossEncoder({ t1: -2, t2: 3, t3: -1, t4: 2, t5: 0.5 });
    const { deps } = depsWith({ crossEncoder: encoder });
    const response = await answerQuery({ ...query, candidates: true, topN: 2 }, deps);
    expect(response.candidates).toEqual([
      {
        id: 'id1',
        text: 't1',
        source: 'doc.txt',
        chunk: 0,
        retrievalRank: 1,
        retrievalScore: 1,
        rerankRank: 5,
        offsets: null,
        metadata: {},
        pages: null,
      },
      {
        id: 'id2',
        text: 't2',
        source: 'doc.txt',
        chunk: 1,
        retrievalRank: 2,
        retrievalScore: 0.99,
        rerankRank: 1,
        offsets: null,
        metadata: {},
        pages: null,
      },
      {
        id: 'id3',
        text: 't3',
        source: 'doc.txt',
        chunk: 2,
        retrievalRank: 3,
        retrievalScore: 0.98,
        rerankRank: 4,
        offsets: null,
        metadata: {},
        pages: null,
      },
      {
        id: 'id4',
        text: 't4',
        source: 'doc.txt',
        chunk: 3,
        retrievalRank: 4,
        retrievalScore: 0.97,
        rerankRank: 2,
        offsets: null,
        metadata: {},
        pages: null,
      },
      {
        id: 'id5',
        text: 't5',
        source: 'doc.txt',
        chunk: 4,
        retrievalRank: 5,
        retrievalScore: 0.96,
        rerankRank: 3,
        offsets: null,
        metadata: {},
        pages: null,
      },
    ]);
    expect(response.results.map((r) => r.id)).toEqual(['id2', 'id4']);
    // One rerank call: the candidates cost no extra scoring.
    expect(encoder.calls).toHaveLength(1);
  });

  it('keeps every candidate when minRelevance drops results', async () => {
    const { deps } = depsWith({ crossEncoder: new FakeCrossEncoder({ t1: 5 }) });
    const response = await answerQuery({ ...query, candidates: true, minRelevance: 0.9 }, deps);
    expect(response.results.map((r) => r.id)).toEqual(['id1']);
    expect(response.candidates!.map((c) => [c.id, c.rerankRank])).toEqual([
      ['id1', 1],
      ['id2', 2],
      ['id3', 3],
      ['id4', 4],
      ['id5', 5],
    ]);
  });

  it('gives candidates a null rerankRank when nothing was reranked', async () => {
    const { deps } = depsWith({ crossEncoder: null });
    const response = await answerQuery({ ...query, candidates: true }, deps);
    expect(response.candidates!.map((c) => [c.retrievalRank, c.rerankRank])).toEqual([
      [1, null],
      [2, null],
      [3, null],
      [4, null],
      [5, null],
    ]);
  });

  it('gives candidates a null rerankRank when reranking failed under the fallback policy', async () => {
    const failure = new RerankUnavailableError('endpoint reranker: 3 attempts failed');
    const { deps } = depsWith({ crossEncoder: new FakeCrossEncoder({}, failure), failurePolicy: 'fallback' });
    const response = await answerQuery({ ...query, candidates: true }, deps);
    expect(response.reranked).toBe(false);
    expect(response.candidates!.every((c) => c.rerankRank === null)).toBe(true);
  });

  it('answers without candidates unless the request asks for them', async () => {
    const { deps } = depsWith();
    expect(await answerQuery(query, deps)).not.toHaveProperty('candidates');
    expect(await answerQuery({ ...query, candidates: false }, deps)).not.toHaveProperty('candidates');
  });
});
