import { RerankUnavailableError } from '../errors.js';
import type { Log } from '../log.js';
import { type ChunkReader, type CrossEncoder, type Embedder, type SearchHit, type Span, untraced } from '../ports.js';
import { rerank, sigmoid } from '../rerank/crossEncoder.js';
import {
  DEFAULT_FILTER_FIELDS,
  type FilterExpression,
  filterFieldsOf,
  isFilterExpression,
  searchFilterOf,
} from './filters.js';
import { retrieve, type RetrievalMode } from './retrieval.js';
import type { Attributes } from '../metadata.js';

/**
 * A query: the payload of `POST /query` and of a direct invoke, as shared/api/queryApi.ts validates it (that
 * schema is checked against this type at compile time, so the two cannot drift).
 */
export interface QueryRequest {
  query: string;
  /** Candidates the first stage retrieves. @default QUERY_K */
  k?: number;
  /** Results answered after reranking. @default QUERY_TOP_N */
  topN?: number;
  /** `{"source": key}`, or a Bedrock-style expression over filterable attributes (filters.ts). */
  filter?: { source?: string } | FilterExpression;
  /** Drop reranked results whose calibrated relevance (0–1) is below this. */
  minRelevance?: number;
  /** "source": at most one result per source, its best chunk (overlapping chunks otherwise crowd the top-n). */
  group?: 'source';
  /** First stage for this request: vector, fts (BM25) or hybrid (RRF of both); default RETRIEVAL_MODE. */
  mode?: RetrievalMode;
  /** true: the answer also lists every first-stage candidate (`candidates`), in retrieval order. */
  candidates?: boolean;
  /** The tenant to search; the query function sets it from its caller (shared/pipeline/tenants.ts). */
  tenant?: string;
}

export interface QueryResult {
  id: string;
  text: string;
  source: string;
  chunk: number;
  /** Rerank score: the cross-encoder's raw logit (null when not reranked). */
  score: number | null;
  /** Calibrated relevance in [0, 1]: sigmoid of the logit (softmax of "relevant" for two-label heads); null when not reranked. */
  relevanceScore: number | null;
  /** 1-based rank in the retrieval (first-stage) list. */
  retrievalRank: number;
  /** First-stage similarity (higher is better; cosine similarity, dot product, or negative L2 distance). */
  retrievalScore: number;
  /** `extractedText.slice(start, end)` is `text`, for linking to the passage; null when unknown (older chunks). */
  offsets: { start: number; end: number } | null;
  /** First and last page of the chunk (PDFs); null for formats without pages. */
  pages: { first: number; last: number } | null;
  /** The document's metadata attributes (sidecar and x-amz-meta-*); {} when it has none. */
  metadata: Attributes;
}

/** One first-stage candidate (`"candidates": true`): where retrieval put it and where the cross-encoder did. */
export interface QueryCandidate {
  id: string;
  text: string;
  source: string;
  chunk: number;
  /** 1-based rank in the retrieval (first-stage) list: candidates come in this order. */
  retrievalRank: number;
  retrievalScore: number;
  /** 1-based rank among all candidates by rerank score, before minRelevance and group; null when not reranked. */
  rerankRank: number | null;
  offsets: QueryResult['offsets'];
  pages: QueryResult['pages'];
  metadata: QueryResult['metadata'];
}

export interface QueryResponse {
  results: QueryResult[];
  /** false when the cross-encoder was off or failed and the fallback policy returned retrieval order. */
  reranked: boolean;
  /** Milliseconds per stage. */
  timings: { embed: number; search: number; rerank: number; total: number };
  /** Every first-stage candidate in retrieval order; only when the request asked for them. */
  candidates?: QueryCandidate[];
}

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
