import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import middy from '@middy/core';
import { loadConfig } from '../../shared/wiring/config.js';
import { NotFoundError, UnavailableError } from '../../shared/pipeline/errors.js';
import { sidecarOf } from '../../shared/pipeline/metadata.js';
import type { DocumentStatus } from '../../shared/pipeline/ports.js';
import { type Caller, tenantScope } from '../../shared/pipeline/tenants.js';
import { createS3Client } from '../../shared/adapters/s3/s3Documents.js';
import { cursorOf, keyOfPath, parseGetRequest, parseListRequest } from '../../shared/api/documentsApi.js';
import { createServices } from '../../shared/wiring/services.js';
import { HttpAnswer, httpEdge, type Request } from '../edge.js';
import { observability } from '../observability.js';

// Created once per container: no model, only the status table, the chunk table (for ?chunks=true) and S3.
const config = loadConfig();
const { logger, middlewares } = observability('documents');
const services = createServices(config, { readOnly: true });
const s3 = createS3Client({ region: config.store.region, endpoint: config.store.s3Endpoint });
const bucket = config.documents.bucket;

const ROUTE = /^\/documents(?:\/(.+))?$/;

/**
 * One document as its caller may see it: another tenant's is a 404 exactly like a missing one, so a key's
 * existence never leaks across tenants.
 */
async function visible(source: string, tenant: string | null): Promise<DocumentStatus> {
  const status = await (await services.statuses())?.get(source);
  if (!status || (tenant !== null && status.tenant !== tenant)) throw new NotFoundError(`no document ${source}`);
  return status;
}

async function list(query: Record<string, string | undefined>, caller: Caller) {
  const request = parseListRequest(query);
  const tenant = tenantScope({ ...caller, stated: request.tenant }, config.tenancy);
  const statuses = await services.statuses();
  if (!statuses) return { documents: [], nextCursor: null };
  // A deleted document has left the list unless it is asked for by status.
  const page = await statuses.list({ ...request, tenant });
  const documents = request.status ? page.documents : page.documents.filter((d) => d.status !== 'deleted');
  return { documents, nextCursor: page.next === null ? null : cursorOf(page.next) };
}

async function show(source: string, query: Record<string, string | undefined>, caller: Caller) {
  const request = parseGetRequest(query);
  const status = await visible(source, tenantScope({ ...caller, stated: request.tenant }, config.tenancy));
  if (request.chunks !== 'true') return status;
  const chunks = await (await services.store()).storedChunks(source);
  return { ...status, chunkTexts: chunks.map((c, chunk) => ({ chunk, text: c.text })) };
}

/** Deletes the object and its metadata sidecar; their S3 events remove the chunks and mark the document deleted. */
async function remove(source: string, query: Record<string, string | undefined>, caller: Caller) {
  const tenant = tenantScope({ ...caller, stated: parseGetRequest(query).tenant }, config.tenancy);
  await visible(source, tenant);
  // One DeleteObject each (not DeleteObjects): every S3 implementation sends a removed event per single delete.
  try {
    await Promise.all(
      [source, sidecarOf(source)].map((Key) => s3.send(new DeleteObjectCommand({ Bucket: bucket, Key }))),
    );
  } catch (error) {
    logger.error('document not deleted', { source, error: error as Error });
    throw new UnavailableError('the document could not be deleted; retry');
  }
  return HttpAnswer.json(202, { source, status: 'deleting' });
}

/**
 * `GET /documents`, `GET /documents/{key}` (`?chunks=true` with its chunks) and `DELETE /documents/{key}`, each
 * scoped to the caller's tenant as `/query` is.
 */
async function documents({ http }: Request): Promise<unknown> {
  if (!http) throw new NotFoundError('the documents API is served over HTTP');
  const match = ROUTE.exec(http.path);
  if (!match) throw new NotFoundError(`no route ${http.path}`);
  const caller: Caller = { jwtClaims: http.jwtClaims };
  const rawKey = match[1];
  if (rawKey === undefined && http.method === 'GET') return list(http.query, caller);
  if (rawKey !== undefined && http.method === 'GET') return show(keyOfPath(rawKey), http.query, caller);
  if (rawKey !== undefined && http.method === 'DELETE') return remove(keyOfPath(rawKey), http.query, caller);
  throw new NotFoundError(`no route ${http.method} ${http.path}`);
}

export const handler = middy(documents)
  .use(middlewares)
  .use(httpEdge({ name: 'documents', log: logger, takesBody: () => false }));
