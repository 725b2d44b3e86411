import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import {
  DeleteDocumentResponseSchema,
  GetDocumentResponseSchema,
  GetDocumentSchema,
  ListDocumentsResponseSchema,
  ListDocumentsSchema,
} from './documentsApi.js';
import {
  MAX_PUT_BYTES,
  METADATA_HEADER,
  PutDocumentResponseSchema,
  UploadUrlRequestSchema,
  UploadUrlResponseSchema,
} from './documentUploads.js';
import { IngestionJobSchema, StartJobSchema } from './ingestionJobsApi.js';

/** A JSON body (request or answer) of an OpenAPI path, with its example. */
export const json = (schema: z.ZodTypeAny, example?: unknown) => ({
  content: { 'application/json': { schema, ...(example === undefined ? {} : { example }) } },
});
const ErrorSchema = z.object({ error: z.string() });
const error = (description: string) => ({ description, ...json(ErrorSchema) });
const KeyParam = z.object({
  key: z.string().describe('The document key, e.g. docs/acme/report.pdf (each segment percent-encoded)'),
});
const tenantQuery = z.object({ tenant: z.string().optional() });

/** The examples of the documents API's request bodies. */
export const DOCUMENTS_EXAMPLES = {
  uploadUrl: { bytes: 3_456_789, metadata: { year: 2026, team: 'ops' } },
  job: { prefix: 'docs/acme/', only: 'all' },
} as const;

/** The documents API's routes (functions/documents), tenant-scoped as /query is: another tenant's key is a 404. */
export function registerDocumentsPaths(registry: OpenAPIRegistry, security: Record<string, string[]>[]): void {
  const notFound = error('No such document, or another tenant’s (existence does not leak across tenants)');
  const badKey = error('A bad key: empty, over 1,024 bytes, absolute, a "." or ".." segment, control characters');
  registry.registerPath({
    method: 'get',
    path: '/documents',
    summary: 'List documents with their status (pending, indexed, failed, deleting, deleted), in key order',
    description:
      'Deleted documents are left out unless `status=deleted` asks for them. Pass `nextCursor` back as `cursor`.',
    security,
    request: { query: ListDocumentsSchema },
    responses: {
      200: { description: 'A page of documents', ...json(ListDocumentsResponseSchema) },
      400: error('A bad query'),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/documents/{key}',
    summary: "One document's status, chunk count and metadata; `chunks=true` adds its chunks' text",
    security,
    request: { params: KeyParam, query: GetDocumentSchema },
    responses: { 200: { description: 'The document', ...json(GetDocumentResponseSchema) }, 400: badKey, 404: notFound },
  });
  registry.registerPath({
    method: 'put',
    path: '/documents/{key}',
    summary: 'Direct ingestion: store the body as the document and index it as an upload is',
    description:
      `The body is the document (text, Markdown, HTML, PDF or DOCX, by the key's extension). Its attributes may come ` +
      `as JSON in the \`${METADATA_HEADER}\` header, written as its Bedrock-style sidecar. Answers 202 with the ` +
      'document pending; its status turns indexed or failed (with the reason).',
    security,
    request: {
      params: KeyParam,
      query: tenantQuery,
      headers: z.object({ [METADATA_HEADER]: z.string().optional().describe('{"year": 2026, "team": "ops"}') }),
      body: { content: { 'application/octet-stream': { schema: z.string().describe('the document bytes') } } },
    },
    responses: {
      202: { description: 'Stored; pending until indexed', ...json(PutDocumentResponseSchema) },
      400: error('A bad key, a key outside the documents prefix, a sidecar key, an empty body or bad metadata'),
      403: error("A key (or tenant attribute) of another tenant than the caller's"),
      413: error(
        `A body over ${MAX_PUT_BYTES} bytes (use POST /documents/{key}/upload-url) or over MAX_DOCUMENT_BYTES`,
      ),
      415: error('A type ingestion does not read'),
      503: error('S3 refused the write; retry (nothing was changed)'),
    },
  });
  registry.registerPath({
    method: 'post',
    path: '/documents/{key}/upload-url',
    summary: 'A presigned S3 PUT for a document too large for PUT /documents/{key}, signed for its exact size',
    security,
    request: { params: KeyParam, body: json(UploadUrlRequestSchema, DOCUMENTS_EXAMPLES.uploadUrl) },
    responses: {
      200: {
        description: 'PUT the bytes to `url` with `headers` before `expiresAt`',
        ...json(UploadUrlResponseSchema),
      },
      400: error('A bad key or body'),
      403: error("Another tenant's key"),
      413: error('Over MAX_DOCUMENT_BYTES'),
      415: error('A type ingestion does not read'),
    },
  });
  registry.registerPath({
    method: 'delete',
    path: '/documents/{key}',
    summary: 'Delete the document and its sidecar; its chunks leave the index when the removal is ingested',
    security,
    request: { params: KeyParam, query: tenantQuery },
    responses: {
      202: { description: 'Deleting', ...json(DeleteDocumentResponseSchema) },
      400: badKey,
      404: notFound,
      503: error('S3 refused the delete; retry'),
    },
  });
  registry.registerPath({
    method: 'post',
    path: '/ingestion-jobs',
    summary: 'Start a sync of a prefix (every document, or only the failed ones: a redrive), run asynchronously',
    description: "A tenant's job covers its own folder. One job runs at a time per tenant.",
    security,
    request: { body: json(StartJobSchema, DOCUMENTS_EXAMPLES.job) },
    responses: {
      202: { description: 'Started', ...json(IngestionJobSchema) },
      400: error('A bad body, or a prefix outside the caller’s documents'),
      409: { description: 'A job is running', ...json(ErrorSchema.extend({ jobId: z.string() })) },
      503: error('The ingest function could not be started; retry'),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/ingestion-jobs/{id}',
    summary: "A job's state and Bedrock-style statistics, with the failed documents and their reasons",
    security,
    request: { params: z.object({ id: z.string().uuid() }) },
    responses: {
      200: { description: 'The job', ...json(IngestionJobSchema) },
      404: error('No such job, or another tenant’s'),
    },
  });
}
