import { sigmoid } from './crossEncoder.js';
import type { CrossEncoder, Pair, ScoreOptions, TokenCounter } from '../ports.js';

export interface WindowOptions {
  /** Tokens of document text per window (what fits beside the query and the special tokens). */
  windowTokens: number;
  /** Tokens of a document looked at in all; the rest is not scored (Cohere's max_tokens_per_doc). */
  maxTokensPerDoc: number;
}

/**
 * Cuts a document into consecutive windows of whole words that each encode to at most `windowTokens` tokens,
 * stopping after `maxTokensPerDoc` tokens. A word longer than a window becomes a window of its own (the encoder
 * truncates it). A text that fits comes back whole, without counting word by word.
 */
export function windowDocument(text: string, counter: TokenCounter, options: WindowOptions): string[] {
  const { windowTokens, maxTokensPerDoc } = options;
  const limit = Math.min(windowTokens, maxTokensPerDoc);
  // Every token covers at least one character, so a text no longer than the limit fits as it is.
  const fits = text.length <= limit || (counter.upperBound?.(text) ?? Number.POSITIVE_INFINITY) <= limit;
  if (fits || counter.countTokens(text) <= limit) return [text];
  const windows: string[] = [];
  let current: string[] = [];
  let currentTokens = 0;
  let total = 0;
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (total >= maxTokensPerDoc) break;
    const tokens = Math.min(counter.countTokens(word), maxTokensPerDoc - total);
    if (current.length > 0 && currentTokens + tokens > windowTokens) {
      windows.push(current.join(' '));
      current = [];
      currentTokens = 0;
    }
    current.push(word);
    currentTokens += tokens;
    total += tokens;
  }
  if (current.length > 0) windows.push(current.join(' '));
  return windows.length > 0 ? windows : [text];
}

export interface RankedDocument {
  /** Index into the documents passed in. */
  index: number;
  /** The best window's raw score (a logit; the log-odds of "relevant" for two-label heads). */
  score: number;
  /** sigmoid(score): a calibrated relevance in [0, 1]. */
  relevance: number;
}

export interface RerankDocumentsOptions extends ScoreOptions {
  /** @default all documents */
  topN?: number;
  /** @default 4096, as Cohere's max_tokens_per_doc */
  maxTokensPerDoc?: number;
  /** Which windows of a long document count: its best (Cohere), or only its first or last (truncation). @default 'best' */
  window?: 'best' | 'first' | 'last';
  /** Called with the number of windows before any is scored; may throw to refuse the work. */
  onWindows?: (windows: number) => void;
}

/**
 * Reranks whole documents of any length, as Cohere's rerank API does: a document longer than the model's window
 * is cut into windows that fit beside the query, every window is scored (in one call to the encoder), and the
 * document takes its best window's score. `maxTokensPerDoc` bounds the work per document. Results are sorted best
 * first (ties keep input order) and cut to `topN`.
 */
export async function rerankDocuments(
  encoder: CrossEncoder,
  counter: TokenCounter,
  query: string,
  documents: string[],
  options: RerankDocumentsOptions = {},
): Promise<RankedDocument[]> {
  const { topN = documents.length, maxTokensPerDoc = 4096, window = 'best', onWindows, ...scoreOptions } = options;
  if (documents.length === 0) return [];
  // [CLS] query [SEP] document [SEP]: the query keeps at most half the positions (longest_first truncation).
  const queryTokens = Math.min(counter.countTokens(query), Math.floor((counter.maxLength - 3) / 2));
  const windowTokens = Math.max(1, counter.maxLength - 3 - queryTokens);
  const owners: number[] = [];
  const pairs: Pair[] = [];
  documents.forEach((document, index) => {
    const windows = windowDocument(document, counter, { windowTokens, maxTokensPerDoc });
    const kept = window === 'first' ? windows.slice(0, 1) : window === 'last' ? windows.slice(-1) : windows;
    for (const text of kept) {
      owners.push(index);
      pairs.push([query, text]);
    }
  });
  onWindows?.(pairs.length);
  const scores = await encoder.score(pairs, scoreOptions);
  const best = new Array<number>(documents.length).fill(Number.NEGATIVE_INFINITY);
  scores.forEach((score, i) => {
    const owner = owners[i]!;
    if (score > best[owner]!) best[owner] = score;
  });
  return best
    .map((score, index) => ({ index, score, relevance: sigmoid(score) }))
    .sort((a, b) => b.score - a.score || a.index - b.index)
    .slice(0, topN);
}
