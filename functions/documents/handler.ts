import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import middy from '@middy/core';
import { loadConfig } from '../../shared/wiring/config.js';
import { BadRequestError, NotFoundError, UnavailableError } from '../../shared/pipeline/errors.js';
import { JOB_ID, jobRequest } from '../../shared/api/documents/ingestionJobsApi.js';
import { newJob } from '../../shared/pipeline/ingest/ingestionJobs.js';
import { jobLauncher, openJobStore } from '../../shared/wiring/store.js';
import { sidecarOf } from '../../shared/pipeline/metadata.js';
import type { DocumentStatus } from '../../shared/pipeline/ingest/records.js';
import { type Caller, tenantScope } from '../../shared/pipeline/tenants.js';
import { createS3Client } from '../../shared/adapters/s3/s3Documents.js';
import { currentVersion, listVersions } from '../../shared/adapters/s3/s3Versions.js';
import {
  RECORDED_FILTERS,
  currentPage,
  currentStatus,
  listingPrefix,
} from '../../shared/pipeline/ingest/currentStatus.js';
import { isSidecar } from '../../shared/pipeline/metadata.js';
import { cursorOf, keyOfPath, parseGetRequest, parseListRequest } from '../../shared/api/documents/documentsApi.js';
import { createServices, documentRules } from '../../shared/wiring/services.js';
import {
  type CheckedUpload,
  MAX_PUT_BYTES,
  METADATA_HEADER,
  UPLOAD_URL_SECONDS,
  checkUpload,
  metadataOfHeader,
  parseUploadUrlRequest,
} from '../../shared/api/documents/documentUploads.js';
import { contentTypeOf } from '../../shared/pipeline/ingest/statuses.js';
import { HttpAnswer, httpEdge, type Request } from '../edge.js';
import { observability } from '../observability.js';

// Created once per container: no model, only the status table, the chunk table (for ?chunks=true) and S3.
const config = loadConfig();
const { logger, middlewares } = observability('documents');
// Reads see the latest commit (a document's chunks right after it is indexed): small reads, no stale answers.
const services = createServices(
  { ...config, store: { ...config.store, readConsistencySeconds: 0 } },
  { readOnly: true },
);
const s3 = createS3Client({ region: config.store.region, endpoint: config.store.s3Endpoint });
const bucket = config.documents.bucket;

const ROUTE = /^\/documents(?:\/(.+?))?(\/upload-url)?$/;
const JOB_ROUTE = /^\/ingestion-jobs(?:\/([^/]+))?$/;
const rules = documentRules(config);

/** Whether an S3 key is a document ingestion records (its events reach ingestion: the prefix, a supported type). */
const isDocument = (key: string) =>
  key.startsWith(config.tenancy.documentsPrefix) &&
  !isSidecar(key) &&
  rules.extensions.some((extension) => key.toLowerCase().endsWith(extension));

/**
 * One document as its caller may see it, as it stands now (its record against S3's current version): another
 * tenant's is a 404 exactly like a missing one, so a key's existence never leaks across tenants.
 */
async function visible(source: string, tenant: string | null): Promise<DocumentStatus> {
  const [recorded, object] = await Promise.all([
    (await services.statuses()).get(source),
    isDocument(source) ? currentVersion(s3, bucket, source) : undefined,
  ]);
  const status = currentStatus(source, recorded, object, config.tenancy);
  if (!status || (tenant !== null && status.tenant !== tenant)) throw new NotFoundError(`no document ${source}`);
  return status;
}

/** A page of the status table, each against S3's current versions over the same range (see currentPage). */
async function list(query: Record<string, string | undefined>, caller: Caller) {
  const request = parseListRequest(query);
  const tenant = tenantScope({ ...caller, stated: request.tenant }, config.tenancy);
  const filtered = request.status !== undefined && RECORDED_FILTERS.includes(request.status);
  const page = await (await services.statuses()).list({
    ...request,
    status: filtered ? request.status : undefined,
    tenant,
  });
  const listed = listingPrefix(request.prefix ?? '', tenant, config.tenancy);
  const through = page.next ?? undefined; // the table page's end, whether or not its last row was kept
  const { versions, listedTo } =
    listed === null
      ? { versions: new Map(), listedTo: null }
      : // A call lists a page's documents and their sidecars (a listing costs what it returns), or S3's most when a
        // status filter spreads the page's rows over many more keys.
        await listVersions(s3, bucket, {
          prefix: listed,
          after: request.after,
          through,
          pageSize: filtered ? 1000 : 2 * request.limit + 2,
        });
  const current = currentPage({
    rows: page.documents,
    rowsTo: page.next,
    objects: versions,
    listed,
    listedTo,
    unfiltered: !filtered,
    isDocument,
    limit: request.limit,
    tenant,
    status: request.status,
    tenancy: config.tenancy,
  });
  return { documents: current.documents, nextCursor: current.next === null ? null : cursorOf(current.next) };
}

async function show(source: string, query: Record<string, string | undefined>, caller: Caller) {
  const request = parseGetRequest(query);
  const status = await visible(source, tenantScope({ ...caller, stated: request.tenant }, config.tenancy));
  if (request.chunks !== 'true') return status;
  const chunks = await (await services.store()).storedChunks(source);
  return { ...status, chunkTexts: chunks.map((c, chunk) => ({ chunk, text: c.text })) };
}

/**
 * Runs an S3 change with the document's status set first (so the ingest that the change fires always records its
 * outcome after it), and puts the status back if S3 refused the change.
 */
async function withStatus(
  marked: { source: string; tenant: string | null; status: 'pending' | 'deleting' },
  change: () => Promise<unknown>,
): Promise<void> {
  const statuses = await services.statuses();
  const at = new Date().toISOString();
  const { source, tenant } = marked;
  const previous = await statuses.mark([{ source, tenant, contentType: contentTypeOf(source) }], marked.status, at);
  try {
    await change();
  } catch (error) {
    logger.error('document change not stored', { source, error: error as Error });
    const before = previous.get(source);
    const undone = before ?? { ...(await statuses.get(source))!, status: 'deleted' as const };
    await statuses.record([{ ...undone, reason: before ? before.reason : 'the upload did not complete' }]);
    throw new UnavailableError('the document could not be changed; retry');
  }
}

/** Deletes the object and its metadata sidecar; their S3 events remove the chunks and mark the document deleted. */
async function remove(source: string, query: Record<string, string | undefined>, caller: Caller) {
  const tenant = tenantScope({ ...caller, stated: parseGetRequest(query).tenant }, config.tenancy);
  const status = await visible(source, tenant);
  // One DeleteObject each (not DeleteObjects): every S3 implementation sends a removed event per single delete.
  await withStatus({ source, tenant: status.tenant, status: 'deleting' }, () =>
    Promise.all([source, sidecarOf(source)].map((Key) => s3.send(new DeleteObjectCommand({ Bucket: bucket, Key })))),
  );
  return HttpAnswer.json(202, { source, status: 'deleting' });
}

/** Writes the metadata sidecar when attributes came with the upload (before the document, so its sync sees them). */
async function writeSidecar(upload: CheckedUpload): Promise<void> {
  if (upload.metadata === null) return;
  const Body = JSON.stringify({ metadataAttributes: upload.metadata });
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: sidecarOf(upload.key), Body }));
}

/** Direct ingestion: the body is stored in the documents bucket, whose event indexes it as any upload. */
async function put(source: string, http: NonNullable<Request['http']>, caller: Caller) {
  const stated = parseGetRequest(http.query).tenant;
  const body = http.body();
  const upload = checkUpload({
    key: source,
    bytes: body.byteLength,
    metadata: metadataOfHeader(http.headers[METADATA_HEADER]),
    rules,
    tenancy: config.tenancy,
    scope: tenantScope({ ...caller, stated }, config.tenancy),
    bodyLimit: MAX_PUT_BYTES,
  });
  await withStatus({ source, tenant: upload.tenant, status: 'pending' }, async () => {
    await writeSidecar(upload);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: source, Body: body }));
  });
  return HttpAnswer.json(202, { source, status: 'pending', bytes: body.byteLength });
}

/**
 * A presigned PUT for a document too large for `PUT /documents/{key}`, signed for its exact size (S3 refuses any
 * other, so the size limit holds); its status turns pending when the upload's event arrives.
 */
async function uploadUrl(source: string, http: NonNullable<Request['http']>, caller: Caller) {
  const request = parseUploadUrlRequest(jsonBody(http.body()));
  const upload = checkUpload({
    key: source,
    bytes: request.bytes,
    metadata: request.metadata,
    rules,
    tenancy: config.tenancy,
    scope: tenantScope({ ...caller, stated: request.tenant }, config.tenancy),
  });
  await writeSidecar(upload);
  const command = new PutObjectCommand({ Bucket: bucket, Key: source, ContentLength: request.bytes });
  const url = await getSignedUrl(s3, command, { expiresIn: UPLOAD_URL_SECONDS });
  const expiresAt = new Date(Date.now() + UPLOAD_URL_SECONDS * 1000).toISOString();
  return { source, url, method: 'PUT', headers: { 'content-length': String(request.bytes) }, expiresAt };
}

/** `POST /ingestion-jobs` starts a sync (409 while one runs for the tenant); `GET /ingestion-jobs/{id}` shows it. */
async function ingestionJobs(id: string | undefined, http: NonNullable<Request['http']>, caller: Caller) {
  const jobs = openJobStore(config);
  const launcher = jobLauncher(config);
  if (!jobs || !launcher) throw new UnavailableError('ingestion jobs need the index on S3 and INGEST_FUNCTION_NAME');
  if (id !== undefined && http.method === 'GET') {
    const tenant = tenantScope({ ...caller, stated: parseGetRequest(http.query).tenant }, config.tenancy);
    const job = JOB_ID.test(id) ? await jobs.get(id) : null;
    if (!job || (tenant !== null && job.tenant !== tenant)) throw new NotFoundError(`no ingestion job ${id}`);
    return job;
  }
  if (id !== undefined || http.method !== 'POST') throw new NotFoundError(`no route ${http.method} ${http.path}`);
  const body = jsonBody(http.body());
  const job = newJob(jobRequest(body, config.tenancy, (stated) => tenantScope({ ...caller, stated }, config.tenancy)));
  const start = await jobs.start(job);
  if (!start.started) {
    const { id: jobId } = start.running;
    return HttpAnswer.json(409, { error: `an ingestion job is running for this tenant: ${jobId}`, jobId });
  }
  try {
    await launcher.launch({
      ingestionJob: { id: job.id, offset: 0 },
    });
  } catch (error) {
    logger.error('ingestion job not started', { id: job.id, error: error as Error });
    await jobs.finish({ ...job, status: 'FAILED', reason: 'the ingest function could not be started' });
    throw new UnavailableError('the ingestion job could not be started; retry');
  }
  return HttpAnswer.json(202, job);
}

/** A route's optional JSON body: `{}` when there is none. */
function jsonBody(body: Buffer): unknown {
  if (body.byteLength === 0) return {};
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new BadRequestError('request body is not valid JSON');
  }
}

/**
 * `GET /documents`, `GET /documents/{key}` (`?chunks=true` with its chunks) and `DELETE /documents/{key}`, each
 * scoped to the caller's tenant as `/query` is.
 */
async function documents({ http }: Request): Promise<unknown> {
  if (!http) throw new NotFoundError('the documents API is served over HTTP');
  const job = JOB_ROUTE.exec(http.path);
  if (job) return ingestionJobs(job[1], http, { jwtClaims: http.jwtClaims });
  const match = ROUTE.exec(http.path);
  if (!match) throw new NotFoundError(`no route ${http.path}`);
  const caller: Caller = { jwtClaims: http.jwtClaims };
  const [, rawKey, presign] = match;
  if (rawKey === undefined) {
    if (http.method === 'GET' && !presign) return list(http.query, caller);
    throw new NotFoundError(`no route ${http.method} ${http.path}`);
  }
  const key = keyOfPath(rawKey);
  if (presign && http.method === 'POST') return uploadUrl(key, http, caller);
  if (!presign && http.method === 'GET') return show(key, http.query, caller);
  if (!presign && http.method === 'PUT') return put(key, http, caller);
  if (!presign && http.method === 'DELETE') return remove(key, http.query, caller);
  throw new NotFoundError(`no route ${http.method} ${http.path}`);
}

export const handler = middy(documents)
  .use(middlewares)
  .use(httpEdge({ name: 'documents', log: logger, takesBody: () => false }));
