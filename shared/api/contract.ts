import { z } from 'zod';
import { BadRequestError } from '../pipeline/errors.js';
import { FilterExpressionSchema } from '../pipeline/query/filters.js';
import { type Attributes, METADATA_LIMITS } from '../pipeline/metadata.js';
import { RETRIEVAL_MODES } from '../pipeline/query/retrieval.js';
import { MAX_TENANT_CHARS } from '../pipeline/tenants.js';

export const PairsSchema = z.array(z.tuple([z.string(), z.string()]));

/**
 * The cross-encoder endpoint contract, the seed's `inference.py`: `{"pairs": [[query, passage], ...]}` →
 * `{"scores": [logit, ...]}` (one raw logit per pair, same order). `{"text_pairs": ...}` is accepted too: it is
 * what LangChain's `SagemakerEndpointCrossEncoder` sends with its default content handler, so the seed's own
 * Python client works unchanged. Both fields at once, or neither, is refused.
 */
export const ScoreRequestSchema = z
  .object({ pairs: PairsSchema.optional(), text_pairs: PairsSchema.optional() })
  .strict()
  .superRefine((body, ctx) => {
    if ((body.pairs === undefined) === (body.text_pairs === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['pairs'], message: 'send exactly one of pairs or text_pairs' });
    } else if ((body.pairs ?? body.text_pairs)!.length === 0) {
      ctx.addIssue({ code: 'custom', path: [body.pairs ? 'pairs' : 'text_pairs'], message: 'pairs must not be empty' });
    }
  })
  .transform((body) => ({ pairs: (body.pairs ?? body.text_pairs)! }));
export type ScoreRequest = z.infer<typeof ScoreRequestSchema>;
export type Pair = [query: string, passage: string];

export const ScoreResponseSchema = z.object({ scores: z.array(z.number()) }).strict();
export type ScoreResponse = z.infer<typeof ScoreResponseSchema>;

/** Hugging Face Text Embeddings Inference `/rerank`: `{query, texts}` → `[{index, score}]`. */
export const TeiRerankResponseSchema = z.array(z.object({ index: z.number().int().min(0), score: z.number() }));

/** Limits of the public query API; a request outside them is a 400, never a partial answer. */
export const QUERY_LIMITS = { maxQueryChars: 2000, maxK: 100, maxSourceChars: 1024 } as const;

/** The query API: the same payload over API Gateway (`POST /query`) and direct `lambda invoke`. */
export const QueryRequestSchema = z
  .object({
    query: z
      .string({ required_error: 'query is required', invalid_type_error: 'query must be a string' })
      .refine((q) => q.trim().length > 0, 'query must not be empty')
      .refine(
        (q) => q.length <= QUERY_LIMITS.maxQueryChars,
        `query must be at most ${QUERY_LIMITS.maxQueryChars} characters`,
      ),
    k: z.number().int().min(1).max(QUERY_LIMITS.maxK).optional(),
    topN: z.number().int().min(1).max(QUERY_LIMITS.maxK).optional(),
    /** `{"source": key}`, or a Bedrock-style expression over filterable attributes (shared/pipeline/query/filters.ts). */
    filter: z
      .union([
        z
          .object({ source: z.string().min(1).max(QUERY_LIMITS.maxSourceChars) })
          .partial()
          .strict(),
        FilterExpressionSchema,
      ])
      .optional(),
    /** Drop reranked results whose calibrated relevance (0–1) is below this. */
    minRelevance: z.number().min(0).max(1).optional(),
    /** "source": at most one result per source, its best chunk (overlapping chunks otherwise crowd the top-n). */
    group: z.enum(['source']).optional(),
    /** First stage for this request: vector, fts (BM25) or hybrid (RRF of both); default RETRIEVAL_MODE. */
    mode: z.enum(RETRIEVAL_MODES).optional(),
    /** true: the answer also lists every first-stage candidate (`candidates`), in retrieval order. */
    candidates: z.boolean().optional(),
    /**
     * The tenant to search (direct invokes and service callers say it here; a JWT caller's comes from its token,
     * and a different one here is refused). See shared/pipeline/tenants.ts.
     */
    tenant: z.string().min(1).max(MAX_TENANT_CHARS).optional(),
  })
  .strict()
  .refine((r) => r.topN === undefined || r.k === undefined || r.topN <= r.k, {
    message: 'topN must not exceed k',
    path: ['topN'],
  });
export type QueryRequest = z.infer<typeof QueryRequestSchema>;

/**
 * Where a chunk sits in its document (character offsets in the extracted text, PDF pages; null: unknown) and the
 * document's metadata attributes.
 */
const CitationFields = {
  offsets: z.object({ start: z.number().int().min(0), end: z.number().int().min(0) }).nullable(),
  pages: z.object({ first: z.number().int().min(1), last: z.number().int().min(1) }).nullable(),
  metadata: z.record(
    z.union([z.string(), z.number(), z.boolean(), z.array(z.string()).max(METADATA_LIMITS.maxListValues)]),
  ),
};

/** The query API's answer, as a schema (the OpenAPI document and its tests check answers against it). */

export const QueryResponseSchema = z.object({
  results: z.array(
    z.object({
      id: z.string(),
      text: z.string(),
      source: z.string(),
      chunk: z.number().int(),
      score: z.number().nullable(),
      relevanceScore: z.number().min(0).max(1).nullable(),
      retrievalRank: z.number().int().min(1),
      retrievalScore: z.number(),
      ...CitationFields,
    }),
  ),
  reranked: z.boolean(),
  timings: z.object({ embed: z.number(), search: z.number(), rerank: z.number(), total: z.number() }),
  candidates: z
    .array(
      z.object({
        id: z.string(),
        text: z.string(),
        source: z.string(),
        chunk: z.number().int(),
        retrievalRank: z.number().int().min(1),
        retrievalScore: z.number(),
        ...CitationFields,
        rerankRank: z.number().int().min(1).nullable(),
      }),
    )
    .optional(),
});

/** Every error of the query API: `{"error": message}`. */
export const QueryErrorSchema = z.object({ error: z.string() });

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

/** Formats a zod error as one readable line: `k: Number must be less than or equal to 100; ...`. */
export function describeZodError(error: z.ZodError): string {
  return error.issues
    .map((i) => {
      if (i.code === 'unrecognized_keys') return `unknown field(s): ${i.keys.join(', ')}`;
      const path = i.path.join('.');
      return path ? `${path}: ${i.message}` : i.message;
    })
    .join('; ');
}

/** A request validated by its schema, or a BadRequestError (400) saying what is wrong: the one rule for every API. */
export function parseRequest<T>(schema: z.ZodType<T, z.ZodTypeDef, unknown>, payload: unknown): T {
  const parsed = schema.safeParse(payload);
  if (!parsed.success) throw new BadRequestError(describeZodError(parsed.error));
  return parsed.data;
}
