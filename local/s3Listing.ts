import { AsyncLocalStorage } from 'node:async_hooks';
import { readdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type S3rver from 's3rver';
import type { S3ObjectConstructor } from 's3rver';
import { compareKeys, sortKeys } from '../shared/pipeline/keyOrder.js';

// s3rver's object model, which its listings are made of.
const S3Object = createRequire(import.meta.url)('s3rver/lib/models/object') as S3ObjectConstructor;

/**
 * s3rver lists keys in the order it walks its folders (`a/x` before `a.txt`, `a.txt-2.txt` before `a.txt`), S3 in
 * their UTF-8 order: here a listing reads the keys under its prefix's folder, sorts them as S3 does, then pages.
 */
function fixListingOrder(server: S3rver): void {
  const store = server.store;
  store.listObjects = async (bucket, options) => {
    const { startAfter = '', prefix = '', maxKeys = Infinity } = options;
    const object = store.getResourcePath(bucket, 'k', 'object'); // <bucket folder>/k<suffix>
    const suffix = path.basename(object).slice(1);
    const base = prefix.slice(0, prefix.lastIndexOf('/') + 1); // the prefix's folder: its keys start with it
    const files = await readdir(path.join(path.dirname(object), base), { recursive: true }).catch(
      (error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return [] as string[];
        throw error;
      },
    );
    const keys = sortKeys(
      files
        .filter((file) => file.endsWith(suffix))
        .map((file) => base + file.slice(0, -suffix.length).split(path.sep).join('/'))
        .filter((key) => key.startsWith(prefix) && compareKeys(key, startAfter) > 0),
    );
    const page = keys.slice(0, maxKeys);
    const metadata = await Promise.all(
      page.map((key) =>
        store.getMetadata(bucket, key).catch((error: NodeJS.ErrnoException) => {
          if (error.code === 'ENOENT') return undefined; // deleted while listed
          throw error;
        }),
      ),
    );
    return {
      objects: page.flatMap((key, i) =>
        metadata[i] ? [new S3Object(bucket, key, null, metadata[i]) as { key: string }] : [],
      ),
      commonPrefixes: [],
      isTruncated: keys.length > page.length,
    };
  };
}

/** A listing request's continuation: what its token continues after (fixContinuationTokens). */
interface Continuation {
  /** The common prefix a delimited page ended with: the next page skips every key under it, as S3 does. */
  skipUnder?: string;
  /** The last key or common prefix of a truncated page, for its token. */
  last?: { key: string } | { prefix: string };
}
const continuation = new AsyncLocalStorage<Continuation>();

/**
 * s3rver omits "folders" that contain only sub-folders when listing with a delimiter (so LanceDB finds no
 * tables). List flat and derive CommonPrefixes ourselves.
 */
function fixDelimiterListing(server: S3rver): void {
  const listFlat = server.store.listObjects.bind(server.store);
  server.store.listObjects = async (bucket, options) => {
    if (!options.delimiter) return listFlat(bucket, options);
    const { delimiter, prefix = '', maxKeys = Infinity } = options;
    const skipUnder = continuation.getStore()?.skipUnder;
    const flat = await listFlat(bucket, { ...options, delimiter: '', maxKeys: Infinity });
    const prefixes = new Set<string>();
    const objects: typeof flat.objects = [];
    let count = 0;
    let isTruncated = false;
    for (const object of flat.objects) {
      const rest = object.key.slice(prefix.length);
      const at = rest.indexOf(delimiter);
      const commonPrefix = at === -1 ? null : prefix + rest.slice(0, at + delimiter.length);
      if (commonPrefix !== null && (prefixes.has(commonPrefix) || commonPrefix === skipUnder)) continue;
      if (count >= maxKeys) {
        isTruncated = true;
        break;
      }
      count++;
      if (commonPrefix !== null) prefixes.add(commonPrefix);
      else objects.push(object);
    }
    return { objects, commonPrefixes: sortKeys(prefixes), isTruncated: isTruncated || flat.isTruncated };
  };
}

/**
 * s3rver encrypts ListObjectsV2 continuation tokens with DES, which OpenSSL 3 (Node 17 on) refuses: every listing
 * past its first page fails with a 500. Here a token is the page's last key, or last common prefix when that sorts
 * later (base64url, tagged), read back as start-after (and, for a prefix, every key under it skipped).
 */
function fixContinuationTokens(server: S3rver): void {
  const list = server.store.listObjects.bind(server.store);
  server.store.listObjects = async (bucket, options) => {
    const result = await list(bucket, options);
    const page = continuation.getStore();
    if (!page || !result.isTruncated) return result;
    const key = result.objects.at(-1)?.key;
    const prefix = result.commonPrefixes.at(-1);
    page.last =
      prefix !== undefined && (key === undefined || compareKeys(prefix, key) > 0) ? { prefix } : { key: key! };
    return { ...result, isTruncated: false }; // so s3rver makes no token of its own
  };
  // Just before the router: the response is still an object here (s3rver encodes it as XML further out).
  server.middleware.splice(server.middleware.length - 1, 0, async function continuationTokens(ctx, next) {
    const token = ctx.query['continuation-token'];
    if (ctx.method !== 'GET' || ctx.query['list-type'] !== '2') return next();
    const page: Continuation = {};
    if (typeof token === 'string') {
      const { 'continuation-token': _, ...rest } = ctx.query;
      const after = Buffer.from(token, 'base64url').toString('utf8');
      if (after.startsWith('p')) page.skipUnder = after.slice(1);
      ctx.query = { ...rest, 'start-after': after.slice(1) };
    }
    await continuation.run(page, next);
    const result = (ctx.body as { ListBucketResult?: Record<string, unknown> } | undefined)?.ListBucketResult;
    if (!result) return;
    if (typeof token === 'string') Object.assign(result, { StartAfter: undefined, ContinuationToken: token });
    if (page.last !== undefined) {
      const last = 'prefix' in page.last ? `p${page.last.prefix}` : `k${page.last.key}`;
      Object.assign(result, { IsTruncated: true, NextContinuationToken: Buffer.from(last).toString('base64url') });
    }
  });
}

/** ListObjects as S3 answers it: in S3's key order, with delimiters and continuation tokens that work. */
export function fixListings(server: S3rver): void {
  fixListingOrder(server);
  fixDelimiterListing(server);
  fixContinuationTokens(server);
}
