import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { PayloadTooLargeError } from '../pipeline/errors.js';
import { type RankedDocument, rerankDocuments } from '../pipeline/rerank/documents.js';
import type { CrossEncoder, TokenCounter } from '../pipeline/ports.js';
import { parseRequest, queryText } from './requests.js';
import { toErrorResponse } from './errorResponses.js';

/** Limits of the rerank API; a request outside them is a 4xx naming the field, never a partial answer. */
export const RERANK_LIMITS = {
  maxDocuments: 1000,
  maxQueryChars: 10_000,
  /** Lambda's synchronous payload limit. */
  maxBodyBytes: 6 * 1024 * 1024,
  defaultMaxTokensPerDoc: 4096,
  maxTokensPerDoc: 32_768,
} as const;

const query = queryText(RERANK_LIMITS.maxQueryChars);

const documentList = <T extends z.ZodTypeAny>(item: T, field: string) =>
  z
    .array(item, { required_error: `${field} is required`, invalid_type_error: `${field} must be an array` })
    .min(1, `${field} must not be empty`)
    .max(RERANK_LIMITS.maxDocuments, `${field} must hold at most ${RERANK_LIMITS.maxDocuments} items`);

/** Cohere Rerank v2 request (`POST /v2/rerank`); `documents` may be strings or `{text}` objects. */
export const CohereRerankRequestSchema = z
  .object({
    model: z.string().max(256).optional(),
    query,
    documents: documentList(
      z.union([z.string(), z.object({ text: z.string() }).strict()], {
        errorMap: () => ({ message: 'each document must be a string or {"text": string}' }),
      }),
      'documents',
    ),
    top_n: z.number().int('top_n must be an integer').min(1, 'top_n must be at least 1').optional(),
    return_documents: z.boolean().optional(),
    max_tokens_per_doc: z.number().int().min(1).max(RERANK_LIMITS.maxTokensPerDoc).optional(),
    /** Cohere's scheduling hint; accepted so Cohere clients can send it, and ignored. */
    priority: z.number().optional(),
  })
  .strict();
export type CohereRerankRequest = z.infer<typeof CohereRerankRequestSchema>;

export const CohereRerankResponseSchema = z.object({
  id: z.string(),
  results: z.array(
    z.object({
      index: z.number().int(),
      relevance_score: z.number().min(0).max(1),
      document: z.object({ text: z.string() }).optional(),
    }),
  ),
  meta: z.object({
    api_version: z.object({ version: z.string() }),
    billed_units: z.object({ search_units: z.number() }),
  }),
});
export type CohereRerankResponse = z.infer<typeof CohereRerankResponseSchema>;

/** Hugging Face Text Embeddings Inference request (`POST /rerank`). */
export const TeiRerankRequestSchema = z
  .object({
    query,
    texts: documentList(z.string({ invalid_type_error: 'each text must be a string' }), 'texts'),
    raw_scores: z.boolean().optional(),
    return_text: z.boolean().optional(),
    /** true: score only the first window of a long text (TEI truncates); otherwise long texts score their best window. */
    truncate: z.boolean().optional(),
    truncation_direction: z.enum(['Left', 'Right']).optional(),
  })
  .strict();
export type TeiRerankRequest = z.infer<typeof TeiRerankRequestSchema>;

export const TeiRerankResponseItemSchema = z.object({
  index: z.number().int(),
  score: z.number(),
  text: z.string().optional(),
});
export type TeiRerankResponse = z.infer<typeof TeiRerankResponseItemSchema>[];

export interface RerankApiDeps {
  encoder: CrossEncoder;
  counter: TokenCounter;
  /** Most model windows one request may need; more is a 413 rather than a timeout. @default 2000 */
  maxWindows?: number;
  signal?: AbortSignal;
}

async function rankTexts(
  queryText: string,
  texts: string[],
  deps: RerankApiDeps,
  options: { topN?: number; maxTokensPerDoc: number; window?: 'best' | 'first' | 'last' },
): Promise<RankedDocument[]> {
  const maxWindows = deps.maxWindows ?? 2000;
  return rerankDocuments(deps.encoder, deps.counter, queryText, texts, {
    topN: options.topN,
    maxTokensPerDoc: options.maxTokensPerDoc,
    window: options.window,
    signal: deps.signal,
    onWindows: (windows) => {
      if (windows > maxWindows) {
        throw new PayloadTooLargeError(
          `the documents need ${windows} model windows; at most ${maxWindows} per request: send fewer or shorter documents, or lower max_tokens_per_doc`,
        );
      }
    },
  });
}

/**
 * Cohere Rerank v2 over the configured cross-encoder: results best first, `relevance_score` the calibrated
 * relevance in [0, 1] (sigmoid of the logit; softmax of the "relevant" class for two-label heads).
 */
export async function rerankCohere(payload: unknown, deps: RerankApiDeps): Promise<CohereRerankResponse> {
  const request = parseRequest(CohereRerankRequestSchema, payload);
  const texts = request.documents.map((d) => (typeof d === 'string' ? d : d.text));
  const ranked = await rankTexts(request.query, texts, deps, {
    topN: request.top_n,
    maxTokensPerDoc: request.max_tokens_per_doc ?? RERANK_LIMITS.defaultMaxTokensPerDoc,
  });
  return {
    id: randomUUID(),
    results: ranked.map(({ index, relevance }) => ({
      index,
      relevance_score: relevance,
      ...(request.return_documents ? { document: { text: texts[index]! } } : {}),
    })),
    meta: { api_version: { version: '2' }, billed_units: { search_units: 1 } },
  };
}

/** TEI `/rerank` over the configured cross-encoder: `score` calibrated, or the raw logit with `raw_scores`. */
export async function rerankTei(payload: unknown, deps: RerankApiDeps): Promise<TeiRerankResponse> {
  const request = parseRequest(TeiRerankRequestSchema, payload);
  // TEI truncates a long text when asked (keeping its start, or its end with truncation_direction Left);
  // otherwise a long text scores its best window, as Cohere's API does.
  const window = !request.truncate ? 'best' : request.truncation_direction === 'Left' ? 'last' : 'first';
  const ranked = await rankTexts(request.query, request.texts, deps, {
    maxTokensPerDoc: RERANK_LIMITS.defaultMaxTokensPerDoc,
    window,
  });
  return ranked.map(({ index, score, relevance }) => ({
    index,
    score: request.raw_scores ? score : relevance,
    ...(request.return_text ? { text: request.texts[index]! } : {}),
  }));
}

type ErrorAnswer<B> = { status: number; headers: Record<string, string>; body: B };

/** An error in Cohere's shape, `{"message"}`, with the status and Retry-After of the error model. */
export function cohereError(error: unknown): ErrorAnswer<{ message: string }> {
  const { status, headers, body } = toErrorResponse(error);
  return { status, headers, body: { message: body.error } };
}

/** An error in TEI's shape, `{"error", "error_type"}` (Validation, Overloaded, Backend), as cohereError. */
export function teiError(error: unknown): ErrorAnswer<{ error: string; error_type: string }> {
  const { status, headers, body } = toErrorResponse(error);
  const type = status < 500 ? 'Validation' : status === 503 ? 'Overloaded' : 'Backend';
  return { status, headers, body: { error: body.error, error_type: type } };
}
