import type S3rver from 's3rver';

/** S3 Standard's request classes: PUT, COPY, POST and LIST cost one price, GET, HEAD and the rest another; DELETE is free. */
export type S3RequestClass = 'put' | 'list' | 'get' | 'delete';
export type S3RequestCounts = Record<string, Record<S3RequestClass, number>>;

/** Where `GET` answers the counts: a path no bucket can have (bucket names do not start with `_`). */
export const REQUESTS_PATH = '/_local/requests';

/**
 * The request class of one S3 REST call, as S3 Standard prices it: a GET of the bucket itself is a LIST unless it
 * reads a bucket subresource (`?location`, `?versioning`…); so is ListParts (`GET key?uploadId`); a multi-object
 * delete (`POST ?delete`) is a DELETE.
 */
export function requestClass(method: string, path: string, query = ''): S3RequestClass {
  const [, , ...key] = path.split('/');
  const params = new URLSearchParams(query);
  const onBucket = key.join('/') === '';
  if (method === 'DELETE' || (method === 'POST' && params.has('delete'))) return 'delete';
  if (method === 'PUT' || method === 'POST') return 'put';
  if (method === 'GET' && !onBucket && params.has('uploadId')) return 'list';
  if (method === 'GET' && onBucket) {
    const listing = [...params.keys()].every((name) => LIST_PARAMETERS.has(name));
    return listing ? 'list' : 'get';
  }
  return 'get';
}

/** The query parameters of ListObjects (V1 and V2) and ListMultipartUploads: anything else is a subresource. */
const LIST_PARAMETERS = new Set([
  'list-type',
  'prefix',
  'delimiter',
  'marker',
  'max-keys',
  'continuation-token',
  'start-after',
  'fetch-owner',
  'encoding-type',
  'uploads',
  'key-marker',
  'upload-id-marker',
  'max-uploads',
  'x-id',
]);

/** A request being served. */
export interface InFlight {
  method: string;
  path: string;
}

/**
 * Counts every request by bucket and class, so the cost benchmark reads what LanceDB and the functions really did
 * against S3 rather than an estimate, and keeps the ones in flight (for close).
 */
export function countRequests(server: S3rver, counts: S3RequestCounts, inFlight: Set<InFlight>): void {
  server.middleware.unshift(async function requestCounter(ctx, next) {
    const request = { method: ctx.method, path: ctx.path };
    inFlight.add(request);
    ctx.res.once('close', () => inFlight.delete(request));
    if (ctx.method === 'GET' && ctx.path === REQUESTS_PATH) {
      ctx.type = 'application/json';
      ctx.body = JSON.stringify(counts);
      return;
    }
    const bucket = decodeURIComponent(ctx.path.split('/')[1] ?? '');
    if (bucket) {
      counts[bucket] ??= { put: 0, list: 0, get: 0, delete: 0 };
      counts[bucket][requestClass(ctx.method, ctx.path, ctx.querystring)]++;
    }
    await next();
  });
}
