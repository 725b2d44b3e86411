import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { type FileHandle, mkdir, open, rename, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import S3rver, { type S3ObjectConstructor } from 's3rver';
import type { S3EventNotification } from '../shared/adapters/s3/s3Event.js';
import { fixListings } from './s3Listing.js';
import { countRequests, type InFlight, type S3RequestCounts } from './s3Requests.js';

export type { S3EventNotification } from '../shared/adapters/s3/s3Event.js';

// s3rver's object model, needed to answer reads the way its own store does.
const S3Object = createRequire(import.meta.url)('s3rver/lib/models/object') as S3ObjectConstructor;

export interface LocalS3Options {
  /** 0 picks a free port. @default 0 */
  port?: number;
  /** @default '127.0.0.1' */
  address?: string;
  /** Where objects are kept; a fresh temporary folder (removed on close) when omitted. */
  directory?: string;
  /** Buckets created at start. */
  buckets: string[];
}

export interface LocalS3 {
  /** e.g. http://127.0.0.1:4569 */
  endpoint: string;
  /** Credentials the server checks signatures with. */
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** Subscribes to object created/removed notifications, with keys encoded as real S3 encodes them. */
  onEvent(listener: (event: S3EventNotification) => void): void;
  /** Requests served since start, per bucket and by how S3 prices them (also `GET /_local/requests`). */
  requests(): S3RequestCounts;
  close(): Promise<void>;
}

/** S3 notifications carry keys form-encoded per segment (space → '+'); s3rver sends them raw. */
export function encodeEventKey(key: string): string {
  return key
    .split('/')
    .map((segment) => encodeURIComponent(segment).replace(/%20/g, '+'))
    .join('/');
}

/** How long close() lets requests in flight finish. */
const CLOSE_GRACE_MS = 5_000;

/**
 * s3rver ignores `If-None-Match: *` on PUT, so two LanceDB writers committing the same manifest version
 * both "succeed" and rows are lost. Serialise conditional PUTs per key and answer 412 when the key exists,
 * as S3 does.
 */
function fixConditionalPut(server: S3rver): void {
  const queues = new Map<string, Promise<void>>();
  server.middleware.unshift(async function conditionalPut(ctx, next) {
    if (ctx.method !== 'PUT' || ctx.get('if-none-match') !== '*') return next();
    const [bucket = '', ...keyParts] = ctx.path.replace(/^\//, '').split('/');
    const key = keyParts.map(decodeURIComponent).join('/');
    const lockKey = `${bucket}/${key}`;
    const previous = queues.get(lockKey) ?? Promise.resolve();
    let release!: () => void;
    const current = previous.then(() => new Promise<void>((r) => (release = r)));
    queues.set(lockKey, current);
    await previous;
    try {
      if (await server.store.existsObject(decodeURIComponent(bucket), key)) {
        ctx.status = 412;
        ctx.type = 'application/xml';
        ctx.body =
          '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>PreconditionFailed</Code>' +
          '<Message>At least one of the pre-conditions you specified did not hold</Message>' +
          '<Condition>If-None-Match</Condition></Error>';
        return;
      }
      await next();
    } finally {
      release();
      if (queues.get(lockKey) === current) queues.delete(lockKey);
    }
  });
}

/**
 * s3rver writes an object in place and answers (and fires its event) before the file is flushed, so a
 * reader can see an empty or partial object: LanceDB then fails on a zero-length manifest and an ingest
 * reads an empty document. Write to a temporary file beside the object (its name is not an object name,
 * so listings skip it), then rename: readers see the old object or the whole new one. Reads open the file
 * first and take its size from that same file, so a concurrent rename cannot mix old size and new bytes.
 */
function fixAtomicWrites(server: S3rver): void {
  const store = server.store;
  const originalGetMetadata = store.getMetadata.bind(store);
  store.putObject = async (object) => {
    const objectPath = store.getResourcePath(object.bucket, object.key, 'object');
    await mkdir(path.dirname(objectPath), { recursive: true });
    const temporary = store.getResourcePath(object.bucket, object.key, `tmp-${randomBytes(6).toString('hex')}`);
    const md5 = createHash('md5');
    let size = 0;
    const source: Readable = Buffer.isBuffer(object.content) ? Readable.from([object.content]) : object.content;
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        md5.update(chunk);
        size += chunk.length;
        callback(null, chunk);
      },
    });
    try {
      await pipeline(source, counter, createWriteStream(temporary));
      const digest = md5.digest('hex');
      await store.putMetadata(object.bucket, object.key, object.metadata, digest);
      await rename(temporary, objectPath);
      return { size, md5: digest };
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
  };
  store.getObject = async (bucket, key, options) => {
    const objectPath = store.getResourcePath(bucket, key, 'object');
    let handle: FileHandle;
    try {
      handle = await open(objectPath, 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    try {
      const { size } = await handle.stat();
      const metadata = { ...(await originalGetMetadata(bucket, key)), 'content-length': size };
      const lastByte = Math.max(0, size - 1);
      const range = { start: options?.start ?? 0, end: Math.min(options?.end ?? Infinity, lastByte) };
      const ranged = options !== undefined && (options.start !== undefined || options.end !== undefined);
      const satisfiable = range.start >= 0 && range.end >= range.start;
      const content = satisfiable ? createReadStream('', { fd: handle, start: range.start, end: range.end }) : null;
      if (!content) await handle.close();
      const result = new S3Object(bucket, key, content, metadata);
      if (ranged) result.range = range;
      return result;
    } catch (error) {
      await handle.close();
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  };
}

/**
 * Starts a real S3-compatible server (s3rver) on loopback with the two fixes LanceDB needs, and real-S3
 * key encoding in its notifications.
 * @example
 * import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
 *
 * const s3 = await startLocalS3({ buckets: ['documents', 'vectors'] });
 * const client = new S3Client({ endpoint: s3.endpoint, forcePathStyle: true, credentials: s3.credentials, region: 'us-east-1' });
 * await client.send(new PutObjectCommand({ Bucket: 'documents', Key: 'hello.txt', Body: 'Hello, S3' }));
 * const object = await client.send(new GetObjectCommand({ Bucket: 'documents', Key: 'hello.txt' }));
 * console.log(await object.Body?.transformToString()); // Hello, S3
 * client.destroy();
 * await s3.close();
 */
export async function startLocalS3(options: LocalS3Options): Promise<LocalS3> {
  const temporary = options.directory === undefined;
  const directory = options.directory ?? mkdtempSync(path.join(os.tmpdir(), 'local-s3-'));
  const server = new S3rver({
    address: options.address ?? '127.0.0.1',
    port: options.port ?? 0,
    silent: true,
    directory,
    configureBuckets: options.buckets.map((name) => ({ name })),
  });
  fixListings(server);
  fixConditionalPut(server);
  fixAtomicWrites(server);
  const counts: S3RequestCounts = {};
  const inFlight = new Set<InFlight>();
  countRequests(server, counts, inFlight); // first in line: it sees every request, the fixed ones included
  const { address, port } = await server.run();
  return {
    endpoint: `http://${address}:${port}`,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    onEvent(listener) {
      server.on('event', (event) => {
        // A copy per listener: s3rver hands every listener the same object.
        const notification = structuredClone(event) as S3EventNotification;
        for (const record of notification.Records) record.s3.object.key = encodeEventKey(record.s3.object.key);
        listener(notification);
      });
    },
    requests: () => structuredClone(counts),
    async close() {
      // Keep-alive connections would hold the close open for as long as their clients send on them (LanceDB's pool
      // does): idle ones are closed as they go idle, and whatever is still in flight after the grace is cut.
      const http = server.httpServer;
      const closed = server.close();
      const idle = setInterval(() => http?.closeIdleConnections(), 50);
      const cut = setTimeout(() => {
        process.stderr.write(
          `local S3: cut ${inFlight.size} request(s) at close: ${[...inFlight].slice(0, 5).map((r) => `${r.method} ${r.path}`)}\n`,
        );
        http?.closeAllConnections();
      }, CLOSE_GRACE_MS);
      await closed.finally(() => {
        clearInterval(idle);
        clearTimeout(cut);
      });
      if (temporary) rmSync(directory, { recursive: true, force: true });
    },
  };
}
