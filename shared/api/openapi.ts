import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import {
  CohereRerankRequestSchema,
  CohereRerankResponseSchema,
  TeiRerankRequestSchema,
  TeiRerankResponseItemSchema,
} from './rerankApi.js';
import { QueryErrorSchema, QueryRequestSchema, QueryResponseSchema } from './queryApi.js';
import { json, registerDocumentsPaths } from './documents/documentsOpenapi.js';

/** The request examples of the published contract; a test sends each to the running local stack. */
export const OPENAPI_EXAMPLES = {
  query: {
    query: 'What is the plan for the economy?',
    k: 20,
    topN: 3,
    minRelevance: 0,
    group: 'source',
    mode: 'vector',
    candidates: false,
    filter: { startsWith: { key: 'source', value: 'docs/' } },
  },
  cohere: {
    model: 'rerank-local',
    query: 'What is the plan for the economy?',
    documents: ['We will build the economy from the bottom up.', { text: 'A story about a cat.' }],
    top_n: 2,
    return_documents: true,
  },
  tei: {
    query: 'What is the plan for the economy?',
    texts: ['We will build the economy from the bottom up.', 'A story about a cat.'],
    raw_scores: false,
    return_text: true,
  },
} as const;

/**
 * The OpenAPI 3.1 document of the public HTTP API (`POST /query`, `POST /v2/rerank`, `POST /rerank`, the
 * documents API), generated
 * from the zod schemas the handlers validate with, so it cannot drift from them.
 */
export function openApiDocument(): ReturnType<OpenApiGeneratorV31['generateDocument']> {
  const registry = new OpenAPIRegistry();
  const bearer = registry.registerComponent('securitySchemes', 'apiKey', {
    type: 'http',
    scheme: 'bearer',
    description: 'With apiAuth=apikey: Authorization: Bearer <key>. With apiAuth=iam, SigV4; with jwt, a JWT.',
  });
  const security = [{ [bearer.name]: [] }];
  registry.registerPath({
    method: 'post',
    path: '/query',
    summary: 'Retrieve the top-k chunks of the index and rerank them with the cross-encoder',
    description:
      "`mode` picks the first stage for this request (vector, fts or hybrid; default: the deployment's " +
      'RETRIEVAL_MODE). `candidates: true` adds `candidates`: every first-stage chunk in retrieval order, with ' +
      'its rank after reranking (`rerankRank`, null when not reranked).',
    security,
    request: { body: json(QueryRequestSchema, OPENAPI_EXAMPLES.query) },
    responses: {
      200: { description: 'The top-n chunks, best first', ...json(QueryResponseSchema) },
      400: { description: 'A bad request, with what is wrong', ...json(QueryErrorSchema) },
      403: {
        description:
          "A tenant the caller may not search: another than its token's, or a token without the tenant claim",
        ...json(QueryErrorSchema),
      },
      413: { description: 'A body over 64 KiB', ...json(QueryErrorSchema) },
      503: {
        description: 'The reranker or the vector store is unavailable; retry (Retry-After)',
        ...json(QueryErrorSchema),
      },
    },
  });
  const cohereError = z.object({ message: z.string() });
  registry.registerPath({
    method: 'post',
    path: '/v2/rerank',
    summary: 'Cohere Rerank v2: rerank your own documents (long documents score their best window)',
    security,
    request: { body: json(CohereRerankRequestSchema, OPENAPI_EXAMPLES.cohere) },
    responses: {
      200: { description: 'Results best first; relevance_score in [0, 1]', ...json(CohereRerankResponseSchema) },
      400: { description: 'A bad request, naming the field', ...json(cohereError) },
      413: { description: 'A body over 6 MB, or more model windows than one request may need', ...json(cohereError) },
      503: { description: 'The cross-encoder is unavailable; retry (Retry-After)', ...json(cohereError) },
    },
  });
  const teiError = z.object({ error: z.string(), error_type: z.enum(['Validation', 'Overloaded', 'Backend']) });
  registry.registerPath({
    method: 'post',
    path: '/rerank',
    summary: 'Hugging Face Text Embeddings Inference /rerank',
    security,
    request: { body: json(TeiRerankRequestSchema, OPENAPI_EXAMPLES.tei) },
    responses: {
      200: {
        description: 'Texts best first; score calibrated, or the raw logit with raw_scores',
        ...json(z.array(TeiRerankResponseItemSchema)),
      },
      400: { description: 'A bad request, naming the field', ...json(teiError) },
      413: { description: 'A body over 6 MB, or too much work for one request', ...json(teiError) },
      503: { description: 'The cross-encoder is unavailable; retry (Retry-After)', ...json(teiError) },
    },
  });
  registerDocumentsPaths(registry, security);
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'rerank-pipeline',
      version: '1',
      description:
        'Two-stage retrieval with cross-encoder reranking, reranking as a service (Cohere v2 and TEI shapes), and ' +
        'a documents API (statuses, direct ingestion, deletes, ingestion jobs).',
    },
  });
}
