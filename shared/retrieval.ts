import type { Embedder } from './embedder.js';
import type { SearchHit, VectorStore } from './store.js';

export type RetrievalMode = 'vector' | 'fts' | 'hybrid';

export interface RetrievalOptions {
  mode: RetrievalMode;
  k: number;
  source?: string;
  /** RRF constant: each list contributes 1 / (rrfK + rank). @default 60 */
  rrfK?: number;
}

export interface Retrieved {
  hits: SearchHit[];
  /** Milliseconds spent embedding the query (0 for fts). */
  embedMs: number;
  searchMs: number;
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
  store: VectorStore,
  options: RetrievalOptions,
): Promise<Retrieved> {
  const search = { limit: options.k, source: options.source };
  let embedMs = 0;
  const vectorHits = async (): Promise<SearchHit[]> => {
    const start = performance.now();
    const [vector] = await embedder.embed([query]);
    embedMs = performance.now() - start;
    return store.search(vector!, search);
  };
  const start = performance.now();
  let hits: SearchHit[];
  if (options.mode === 'vector') hits = await vectorHits();
  else if (options.mode === 'fts') hits = await store.searchText(query, search);
  else {
    const [byVector, byText] = await Promise.all([vectorHits(), store.searchText(query, search)]);
    hits = reciprocalRankFusion([byVector, byText], options.rrfK).slice(0, options.k);
  }
  return { hits, embedMs, searchMs: performance.now() - start - embedMs };
}
