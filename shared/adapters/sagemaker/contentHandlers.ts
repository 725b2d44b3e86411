import { ContractError } from '../../pipeline/errors.js';
import type { Pair } from '../../pipeline/ports.js';
import { ScoreResponseSchema, TeiRerankResponseSchema } from '../../api/endpointContract.js';

/**
 * How scores are asked of and read from an endpoint, like LangChain's SageMaker content handlers:
 * other model servers need only another handler.
 */
export interface ContentHandler {
  readonly contentType: string;
  readonly accept: string;
  encode(pairs: Pair[]): string;
  /** Scores in the order of `pairs`; throws ContractError when the response breaks the contract. */
  decode(body: string, pairs: Pair[]): number[];
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch (cause) {
    throw new ContractError(`endpoint answered with invalid JSON: ${body.slice(0, 200)}`, { cause });
  }
}

/** The seed's `inference.py` contract: `{"pairs": [[q, d], …]}` → `{"scores": […]}`. */
export const pairsContentHandler: ContentHandler = {
  contentType: 'application/json',
  accept: 'application/json',
  encode: (pairs) => JSON.stringify({ pairs }),
  decode(body, pairs) {
    const parsed = ScoreResponseSchema.safeParse(parseJson(body));
    if (!parsed.success)
      throw new ContractError(`endpoint response is not {"scores": number[]}: ${body.slice(0, 200)}`);
    if (parsed.data.scores.length !== pairs.length) {
      throw new ContractError(`endpoint returned ${parsed.data.scores.length} scores for ${pairs.length} pairs`);
    }
    return parsed.data.scores;
  },
};

/** Hugging Face Text Embeddings Inference rerank API: `{query, texts, raw_scores}` → `[{index, score}]`. */
export const teiContentHandler: ContentHandler = {
  contentType: 'application/json',
  accept: 'application/json',
  encode(pairs) {
    const query = pairs[0]?.[0] ?? '';
    if (pairs.some(([q]) => q !== query)) throw new ContractError('the TEI rerank API scores one query per request');
    return JSON.stringify({ query, texts: pairs.map(([, d]) => d), raw_scores: true });
  },
  decode(body, pairs) {
    const parsed = TeiRerankResponseSchema.safeParse(parseJson(body));
    if (!parsed.success) throw new ContractError(`TEI response is not [{index, score}]: ${body.slice(0, 200)}`);
    const scores = new Array<number>(pairs.length).fill(Number.NaN);
    for (const { index, score } of parsed.data) if (index < pairs.length) scores[index] = score;
    if (scores.some(Number.isNaN)) throw new ContractError('TEI response does not score every text');
    return scores;
  },
};

export const contentHandlers = { pairs: pairsContentHandler, tei: teiContentHandler } as const;
