import type { Pair } from '../../api/contract.js';
import { PayloadTooLargeError } from '../errors.js';

export interface ScoreOptions {
  /** Aborts outstanding work (remote requests, remaining model batches); the promise then rejects with its reason. */
  signal?: AbortSignal;
  /**
   * Refuses the pairs with a {@link TokenLimitError}, before any model run, when they encode to more than this
   * many tokens after truncation. Encoders that tokenize in-process honour it; remote ones leave the bound to
   * their endpoint. @default no bound
   */
  maxTokens?: number;
  /** Called after each model batch (progress reporting, tests); encoders without batches may never call it. */
  onBatch?: (progress: BatchProgress) => void;
}

/** Where a score() call stands after one model batch. */
export interface BatchProgress {
  /** Batches run so far, this one included. */
  done: number;
  /** Batches the call needs in all. */
  total: number;
}

/** The pairs of a score() call encode to more tokens than its `maxTokens` allows; nothing was scored. */
export class TokenLimitError extends PayloadTooLargeError {
  constructor(readonly limit: number) {
    super(`request encodes to more than the maxTokens limit of ${limit} tokens after truncation`);
  }
}

/** Scores (query, passage) pairs: one raw logit per pair, in input order. */
export interface CrossEncoder {
  readonly name: string;
  score(pairs: Pair[], options?: ScoreOptions): Promise<number[]>;
}

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
