import { type ChunkReader, type Embedder, type SearchHit, type Span, untraced } from '../ports.js';

/** First-stage modes: vector search, full-text (BM25) search, or both fused (RRF). */
export const RETRIEVAL_MODES = ['vector', 'fts', 'hybrid'] as const;
export type RetrievalMode = (typeof RETRIEVAL_MODES)[number];

export interface RetrievalOptions {
  mode: RetrievalMode;
  k: number;
  source?: string;
  /** A compiled filter predicate (shared/pipeline/query/filters.ts). */
  where?: string;
  /** RRF constant: each list contributes 1 / (rrfK + rank). @default 60 */
  rrfK?: number;
  /** Marks the embed and search stages in the request's trace. */
  span?: Span;
}

export interface Retrieved {
  hits: SearchHit[];
  /** Milliseconds spent embedding the query (0 for fts). */
  embedMs: number;
  /** Milliseconds of the search itself: the longer of the two searches in hybrid mode, which run side by side. */
  searchMs: number;
}

/** Runs `work` and reports how long it took. */
async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const start = performance.now();
  const value = await work();
  return { value, ms: performance.now() - start };
}

/**
 * Reciprocal rank fusion (Cormack et al. 2009): score(d) = Σ 1 / (k + rank_i(d)) over the lists that
 * contain d, ranks starting at 1. Hits are identified by id; the first list's copy of a hit is kept.
 * Ties keep the order of first appearance.
 */
export function reciprocalRankFusion(lists: SearchHit[][], k = 60): SearchHit[] {
  const fused = new Map<string, { hit: SearchHit; score: number; first: number }>();
  let seen = 0;
  for (const list of lists) {
    list.forEach((hit, index) => {
      const entry = fused.get(hit.id) ?? { hit, score: 0, first: seen++ };
      entry.score += 1 / (k + index + 1);
      fused.set(hit.id, entry);
    });
  }
  return [...fused.values()]
    .sort((a, b) => b.score - a.score || a.first - b.first)
    .map(({ hit, score }) => ({ ...hit, score }));
}

/**
 * First stage: vector search, full-text (BM25) search, or both fused with RRF. In hybrid mode each list
 * contributes its top k before fusion, and the fused list is cut to k.
 */
export async function retrieve(
  query: string,
  embedder: Embedder,
  store: ChunkReader,
  options: RetrievalOptions,
): Promise<Retrieved> {
  const search = { limit: options.k, source: options.source, where: options.where };
  const span = options.span ?? untraced;
  let embedMs = 0;
  const vectorSearch = async () => {
    const embedded = await timed(() => span('embed', () => embedder.embedQuery(query)));
    embedMs = embedded.ms;
    return timed(() => span('vector search', () => store.search(embedded.value, search)));
  };
  const textSearch = () => timed(() => span('text search', () => store.searchText(query, search)));
  if (options.mode === 'vector') {
    const { value, ms } = await vectorSearch();
    return { hits: value, embedMs, searchMs: ms };
  }
  if (options.mode === 'fts') {
    const { value, ms } = await textSearch();
    return { hits: value, embedMs, searchMs: ms };
  }
  // Each stage's own time: the text search runs while the query is embedded, so wall time minus embedding is not it.
  const [byVector, byText] = await Promise.all([vectorSearch(), textSearch()]);
  const hits = reciprocalRankFusion([byVector.value, byText.value], options.rrfK).slice(0, options.k);
  return { hits, embedMs, searchMs: Math.max(byVector.ms, byText.ms) };
}
