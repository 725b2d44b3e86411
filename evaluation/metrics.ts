/**
 * Ranking metrics as trec_eval / pytrec_eval (BEIR's scorer) compute them: graded relevance with linear gain,
 * log2 discount, results ordered by score descending with ties broken by document id descending.
 */

/** Relevance grades of one query: document id → grade (0 = judged not relevant). */
export type Judgements = Map<string, number>;

export interface Scored {
  id: string;
  score: number;
}

/** trec_eval's order: score descending, ties by id descending (so it never depends on input order). */
export function trecOrder(results: Scored[]): string[] {
  return [...results].sort((a, b) => b.score - a.score || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0)).map((r) => r.id);
}

const relevant = (judgements: Judgements) => [...judgements.values()].filter((g) => g > 0);

/** nDCG@k with linear gain: Σ rel_i / log2(i + 1) over the top k, divided by the ideal ordering's DCG. */
export function ndcgAt(ranked: string[], judgements: Judgements, k: number): number {
  const dcg = ranked.slice(0, k).reduce((sum, id, i) => sum + (judgements.get(id) ?? 0) / Math.log2(i + 2), 0);
  const ideal = relevant(judgements)
    .sort((a, b) => b - a)
    .slice(0, k)
    .reduce((sum, grade, i) => sum + grade / Math.log2(i + 2), 0);
  return ideal === 0 ? 0 : dcg / ideal;
}

/** Share of the relevant documents found in the top k. */
export function recallAt(ranked: string[], judgements: Judgements, k: number): number {
  const total = relevant(judgements).length;
  if (total === 0) return 0;
  return ranked.slice(0, k).filter((id) => (judgements.get(id) ?? 0) > 0).length / total;
}

/** Reciprocal rank of the first relevant document within the top k (0 if none). */
export function mrrAt(ranked: string[], judgements: Judgements, k: number): number {
  const index = ranked.slice(0, k).findIndex((id) => (judgements.get(id) ?? 0) > 0);
  return index === -1 ? 0 : 1 / (index + 1);
}

/** Whether a query can be scored: queries with no relevant document are left out of averages (as BEIR does). */
export function hasRelevant(judgements: Judgements | undefined): judgements is Judgements {
  return judgements !== undefined && relevant(judgements).length > 0;
}
