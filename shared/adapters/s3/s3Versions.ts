import { HeadObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { compareKeys } from '../../pipeline/keyOrder.js';
import { isSidecar, documentOfSidecar, sidecarOf } from '../../pipeline/metadata.js';
import type { ObjectVersion } from '../../pipeline/ingest/records.js';
import { isMissing, versionOf } from './s3Documents.js';

/** ListObjectsV2 calls one listing makes at most (1,000 keys each), so a page's cost is bounded. */
export const MAX_LIST_CALLS = 4;

/** The ETag and time of one key, or null when it is gone. */
async function head(client: S3Client, bucket: string, key: string): Promise<{ etag: string; at: string } | null> {
  try {
    const response = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return { etag: response.ETag ?? '', at: (response.LastModified ?? new Date(0)).toISOString() };
  } catch (error) {
    if (isMissing(error, 'NotFound')) return null;
    throw error;
  }
}

/** A document's current version (as S3DocumentReader reads it: its ETag and its sidecar's), or null when it is gone. */
export async function currentVersion(client: S3Client, bucket: string, key: string): Promise<ObjectVersion | null> {
  const [document, sidecar] = await Promise.all([head(client, bucket, key), head(client, bucket, sidecarOf(key))]);
  return document && { version: versionOf(document.etag, sidecar?.etag ?? null), lastModified: document.at };
}

/**
 * The current versions of the documents under `prefix` after `after` (exclusive), in key order, as far as `through`
 * (inclusive; its sidecar too) or the prefix's end. `listedTo` is null when that whole range was listed, else the
 * last key listed: MAX_LIST_CALLS pages were read first, and what lies after it is not known.
 */
export async function listVersions(
  client: S3Client,
  bucket: string,
  range: {
    prefix: string;
    after?: string;
    through?: string;
    /** Keys a call asks for. @default 1000 */
    pageSize?: number;
  },
): Promise<{ versions: Map<string, ObjectVersion>; listedTo: string | null }> {
  const documents = new Map<string, { etag: string; at: string }>();
  const sidecars = new Map<string, string>();
  const end = range.through === undefined ? undefined : sidecarOf(range.through);
  let token: string | undefined;
  let seen: string | undefined; // the last key S3 listed: everything up to it is known
  let complete = false; // every key to the prefix's end was read
  let pastEnd = false;
  for (let call = 0; call < MAX_LIST_CALLS && !complete && !pastEnd; call++) {
    const page = await client.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: range.prefix,
        MaxKeys: range.pageSize === undefined ? undefined : Math.min(1000, range.pageSize),
        ...(token ? { ContinuationToken: token } : range.after ? { StartAfter: range.after } : {}),
      }),
    );
    for (const object of page.Contents ?? []) {
      const key = object.Key!;
      const sidecar = isSidecar(key);
      pastEnd = end !== undefined && compareKeys(key, end) > 0;
      if (pastEnd && !sidecar) break;
      seen = key;
      if (sidecar) sidecars.set(documentOfSidecar(key), object.ETag ?? '');
      else documents.set(key, { etag: object.ETag ?? '', at: (object.LastModified ?? new Date(0)).toISOString() });
      if (pastEnd) break; // a sidecar past the end may be a listed document's (`a.txt` sorts before `a.txt-2.txt`'s)
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
    complete = !token && !pastEnd; // all of the page read, and nothing after it
  }
  const versions = new Map<string, ObjectVersion>();
  for (const [key, document] of documents) {
    // A sidecar sorts after its document: one the listing did not reach is asked for.
    const unlisted = !complete && (seen === undefined || compareKeys(sidecarOf(key), seen) > 0);
    const sidecar = sidecars.get(key) ?? (unlisted ? (await head(client, bucket, sidecarOf(key)))?.etag : null);
    versions.set(key, { version: versionOf(document.etag, sidecar ?? null), lastModified: document.at });
  }
  return { versions, listedTo: complete || pastEnd ? null : (seen ?? null) };
}
