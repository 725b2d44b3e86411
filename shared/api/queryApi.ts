import { z } from 'zod';
import { METADATA_LIMITS } from '../pipeline/metadata.js';
import type { QueryRequest, QueryResponse } from '../pipeline/query/query.js';
import { RETRIEVAL_MODES } from '../pipeline/query/retrieval.js';
import { MAX_TENANT_CHARS } from '../pipeline/tenants.js';
import { FilterExpressionSchema } from './filterSchema.js';
import { queryText } from './requests.js';

/** Limits of the public query API; a request outside them is a 400, never a partial answer. */
export const QUERY_LIMITS = { maxQueryChars: 2000, maxK: 100, maxSourceChars: 1024 } as const;

/** The query API: the same payload over API Gateway (`POST /query`) and direct `lambda invoke`. */
export const QueryRequestSchema = z
  .object({
    query: queryText(QUERY_LIMITS.maxQueryChars),
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

/** True only when A and B are the same type: the schemas above and the pipeline's types cannot drift apart. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const requestMatches: Same<z.infer<typeof QueryRequestSchema>, QueryRequest> = true;
const responseMatches: Same<z.infer<typeof QueryResponseSchema>, QueryResponse> = true;
void [requestMatches, responseMatches];
