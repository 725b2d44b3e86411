import type { CrossEncoder, Pair, ScoreOptions } from '../ports.js';

export interface RankedIndex {
  /** Index into the documents passed in. */
  index: number;
  score: number;
}

/**
 * Scores `documents` against `query` and returns indices sorted best first (stable for ties), at most `topN`.
 * @example
 * const encoder = await LocalCrossEncoder.create({ model: 'Xenova/ms-marco-MiniLM-L-6-v2' });
 * const chunks = ['We will fight inflation.', 'The weather was mild.', 'Jobs are coming back.'];
 * const top = await rerank(encoder, 'What is the plan for the economy?', chunks, 2);
 * for (const { index, score } of top) console.log(sigmoid(score).toFixed(3), chunks[index]); // best first
 */
export async function rerank(
  encoder: CrossEncoder,
  query: string,
  documents: string[],
  topN: number = documents.length,
  options?: ScoreOptions,
): Promise<RankedIndex[]> {
  if (documents.length === 0) return [];
  const scores = await encoder.score(
    documents.map((d): Pair => [query, d]),
    options,
  );
  return rankByScore(scores).slice(0, topN);
}

/** Indices sorted by descending score; ties keep their input (retrieval) order. */
export function rankByScore(scores: number[]): RankedIndex[] {
  return scores.map((score, index) => ({ index, score })).sort((a, b) => b.score - a.score || a.index - b.index);
}

/** The sigmoid of a logit, as sentence-transformers reports one-label cross-encoder scores by default. */
export function sigmoid(logit: number): number {
  return 1 / (1 + Math.exp(-logit));
}
