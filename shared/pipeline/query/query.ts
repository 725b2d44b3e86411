import type { QueryCandidate, QueryRequest, QueryResponse, QueryResult } from '../../api/contract.js';
import { RerankUnavailableError } from '../errors.js';
import type { Log } from '../log.js';
import { type ChunkReader, type Embedder, type SearchHit, type Span, untraced } from '../ports.js';
import { type CrossEncoder, rerank, sigmoid } from '../rerank/crossEncoder.js';
import { DEFAULT_FILTER_FIELDS, filterFieldsOf, isFilterExpression, searchFilterOf } from './filters.js';
import { retrieve, type RetrievalMode } from './retrieval.js';

export interface QueryDeps {
  embedder: Embedder;
  store: ChunkReader;
  /** null: no reranking, results in retrieval order with `reranked: false`. */
  crossEncoder: CrossEncoder | null;
  /** On rerank failure: 'error' rethrows (HTTP 503); 'fallback' returns retrieval order flagged. */
  failurePolicy: 'error' | 'fallback';
  defaults: { k: number; topN: number };
  /** First stage (a request's `mode` overrides this mode). @default { mode: 'vector', rrfK: 60 } */
  retrieval?: { mode: RetrievalMode; rrfK: number };
  log: Log;
  /** Marks each stage (embed, search, rerank) in the request's trace. @default untraced */
  span?: Span;
}

const round = (ms: number): number => Math.round(ms * 100) / 100;
const elapsed = (start: number): number => round(performance.now() - start);

function toResult(hit: SearchHit, retrievalRank: number, score: number | null): QueryResult {
  return {
    id: hit.id,
    text: hit.text,
    source: hit.source,
    chunk: hit.chunk,
    score,
    relevanceScore: score === null ? null : sigmoid(score),
    retrievalRank,
    retrievalScore: hit.score,
    ...citationOf(hit),
  };
}

/** A hit's citation and metadata; hits from stores without them read as unknown and none. */
const citationOf = (hit: SearchHit) => ({
  offsets: hit.offsets ?? null,
  pages: hit.pages ?? null,
  metadata: hit.metadata ?? {},
});

/** The first result of each source, in order: ranked lists keep each source's best chunk. */
function bestPerSource(results: QueryResult[]): QueryResult[] {
  const seen = new Set<string>();
  return results.filter((r) => !seen.has(r.source) && seen.add(r.source));
}

/** Every retrieved hit in first-stage order, with its rank among all of them by rerank score (null: not reranked). */
function candidatesOf(hits: SearchHit[], rerankOrder: number[] | null): QueryCandidate[] {
  const rerankRank = new Map<number, number>(rerankOrder?.map((index, position) => [index, position + 1]));
  return hits.map((hit, i) => ({
    id: hit.id,
    text: hit.text,
    source: hit.source,
    chunk: hit.chunk,
    retrievalRank: i + 1,
    retrievalScore: hit.score,
    rerankRank: rerankRank.get(i) ?? null,
    ...citationOf(hit),
  }));
}

/** Results in first-stage order (no rerank scores, so minRelevance cannot apply). */
function retrievalOrder(hits: SearchHit[], request: QueryRequest, topN: number): QueryResult[] {
  const results = hits.map((h, i) => toResult(h, i + 1, null));
  return (request.group === 'source' ? bestPerSource(results) : results).slice(0, topN);
}

/**
 * The two-stage query: retrieve the top-k chunks (vector search by default, or BM25 / hybrid), rerank them with
 * the cross-encoder and return the top-n, each with its rerank score and its retrieval rank and score.
 * @example
 * const config = loadConfig(); // models, VECTOR_DB_URI, RERANK_BACKEND, … from the environment
 * configureModelHub(config.models);
 * const services = createServices(config);
 * const document = new TextEncoder().encode('We will fight inflation and bring jobs back home.');
 * await indexDocument('notes.txt', document, await ingestDeps(services, config, console));
 * const request = { query: 'What is the plan for the economy?' };
 * const { results } = await answerQuery(request, await queryDeps(services, config, console));
 * console.log(results.map((result) => result.source)); // [ 'notes.txt' ]
 */
export async function answerQuery(request: QueryRequest, deps: QueryDeps): Promise<QueryResponse> {
  // A topN without k asks for that many results: retrieve at least as many candidates. An explicit k below
  // topN is rejected by the request schema (400).
  const k = request.k ?? Math.max(deps.defaults.k, request.topN ?? 0);
  const topN = Math.min(request.topN ?? deps.defaults.topN, k);
  const t0 = performance.now();
  // Metadata keys are the table's attribute columns; only an expression filter needs to know them.
  const fields = isFilterExpression(request.filter)
    ? filterFieldsOf(await deps.store.attributeTypes())
    : DEFAULT_FILTER_FIELDS;
  const retrieved = await retrieve(request.query, deps.embedder, deps.store, {
    mode: request.mode ?? deps.retrieval?.mode ?? 'vector',
    rrfK: deps.retrieval?.rrfK,
    k,
    // The request's tenant is its scope: the query function sets it from the caller (shared/pipeline/tenants.ts).
    ...searchFilterOf(request.filter, fields, request.tenant ?? null),
    span: deps.span,
  });
  const hits = retrieved.hits;
  const embed = round(retrieved.embedMs);
  const search = round(retrieved.searchMs);

  const t2 = performance.now();
  let results: QueryResult[];
  let reranked = false;
  let rerankOrder: number[] | null = null;
  if (deps.crossEncoder && hits.length > 0) {
    try {
      const crossEncoder = deps.crossEncoder;
      const ranked = await (deps.span ?? untraced)('rerank', () =>
        rerank(
          crossEncoder,
          request.query,
          hits.map((h) => h.text),
        ),
      );
      const scored = ranked.map(({ index, score }) => toResult(hits[index]!, index + 1, score));
      const relevant = scored.filter((r) => r.relevanceScore! >= (request.minRelevance ?? 0));
      results = (request.group === 'source' ? bestPerSource(relevant) : relevant).slice(0, topN);
      reranked = true;
      rerankOrder = ranked.map(({ index }) => index);
    } catch (error) {
      if (deps.failurePolicy === 'error' || !(error instanceof RerankUnavailableError)) throw error;
      deps.log.warn('rerank failed; returning retrieval order', { reason: error.message });
      results = retrievalOrder(hits, request, topN);
    }
  } else {
    results = retrievalOrder(hits, request, topN);
  }
  const rerankMs = elapsed(t2);
  const response: QueryResponse = {
    results,
    reranked,
    timings: { embed, search, rerank: rerankMs, total: elapsed(t0) },
  };
  if (request.candidates) response.candidates = candidatesOf(hits, rerankOrder);
  return response;
}
