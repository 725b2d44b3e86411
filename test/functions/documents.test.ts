import { GetObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { RecursiveCharacterTextSplitter } from '@langchain/textsplitters';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startLocalS3, type LocalS3, type S3EventNotification } from '../../local/s3Server.js';
import type { LanceStore } from '../../shared/adapters/lancedb/lanceStore.js';
import { makePdf } from '../documents.js';
import {
  type HttpResult,
  SAMPLE_DOCUMENT,
  eventFixture,
  importHandlers,
  localS3Client,
  objectChanger,
  lambdaContext,
  localS3Env,
  openLocalS3Table,
} from '../helpers.js';

type Handler = (event: unknown, context: unknown) => Promise<unknown>;

let s3: LocalS3;
let client: S3Client;
let ingestHandler: Handler;
let documentsHandler: Handler;
let store: LanceStore;
const events: S3EventNotification[] = [];
const sample = readFileSync(SAMPLE_DOCUMENT, 'utf8');

beforeAll(async () => {
  s3 = await startLocalS3({ buckets: ['documents', 'vectors'] });
  s3.onEvent((e) => events.push(e));
  const env = localS3Env(s3, { DOCUMENTS_BUCKET: 'documents', POWERTOOLS_LOG_LEVEL: 'CRITICAL' });
  [ingestHandler, documentsHandler] = (await importHandlers(env, ['ingest', 'documents'])) as [Handler, Handler];
  client = await localS3Client(s3);
  store = await openLocalS3Table(s3.endpoint);
});

afterAll(async () => {
  vi.unstubAllEnvs();
  client?.destroy();
  await s3?.close();
});

const change = (key: string, body: string | Uint8Array | null, metadata?: Record<string, string>) =>
  objectChanger(client, events)(key, body, metadata);

const ingest = async (event: S3EventNotification) => ingestHandler(event, lambdaContext('ingest'));

/** Calls the documents function as API Gateway does: method, raw path and query string, JWT claims if any. */
async function call(
  method: string,
  path: string,
  options: {
    query?: Record<string, string>;
    claims?: Record<string, unknown>;
    body?: string | Buffer;
    headers?: Record<string, string>;
  } = {},
): Promise<{ status: number; body: any }> {
  const event = eventFixture<Record<string, any>>('apigw/query.json');
  event.routeKey = `${method} ${path}`;
  event.rawPath = path;
  event.requestContext.http = { ...event.requestContext.http, method, path };
  event.queryStringParameters = options.query;
  event.rawQueryString = new URLSearchParams(options.query ?? {}).toString();
  // API Gateway passes text as it is and binary base64-encoded.
  if (typeof options.body === 'string') Object.assign(event, { body: options.body, isBase64Encoded: false });
  else if (options.body) Object.assign(event, { body: options.body.toString('base64'), isBase64Encoded: true });
  else delete event.body;
  event.headers = { ...event.headers, ...options.headers };
  if (options.claims) event.requestContext.authorizer = { jwt: { claims: options.claims, scopes: null } };
  const res = (await documentsHandler(event, lambdaContext('documents'))) as HttpResult;
  return { status: res.statusCode, body: res.body ? JSON.parse(res.body) : null };
}

const chunkCount = async (text: string) =>
  (await new RecursiveCharacterTextSplitter({ chunkSize: 500, chunkOverlap: 100 }).splitText(text)).length;

describe('documents API over the real ingest handler (local S3, LanceDB on s3://)', () => {
  it('shows an uploaded document indexed with its chunk count, bytes, type, hash and version', async () => {
    await ingest(await change('docs/status/union.txt', sample));
    const { status, body } = await call('GET', '/documents/docs/status/union.txt');
    expect(status).toBe(200);
    expect(body).toMatchObject({
      source: 'docs/status/union.txt',
      status: 'indexed',
      reason: null,
      chunks: await chunkCount(sample),
      bytes: Buffer.byteLength(sample),
      contentType: 'text/plain',
      tenant: 'status',
      metadata: {},
    });
    expect(body.contentHash).toBe(createHash('sha256').update(sample).digest('hex'));
    const head = await client.send(new HeadObjectCommand({ Bucket: 'documents', Key: 'docs/status/union.txt' }));
    expect(body.version).toContain(head.ETag!.replaceAll('"', ''));
    expect(Date.now() - Date.parse(body.updatedAt)).toBeLessThan(60_000);
  });

  it('ingests a direct PUT: 202 pending at once, indexed after its event, with the metadata header as its sidecar', async () => {
    const before = events.length;
    const res = await call('PUT', '/documents/docs/direct/note.txt', {
      body: 'A note sent straight to the API.',
      headers: { 'x-document-metadata': '{"year": 2026, "team": "ops"}' },
    });
    expect(res).toEqual({ status: 202, body: { source: 'docs/direct/note.txt', status: 'pending', bytes: 32 } });
    expect((await call('GET', '/documents/docs/direct/note.txt')).body).toMatchObject({ status: 'pending', chunks: 0 });
    await vi.waitFor(() => expect(events.length).toBeGreaterThanOrEqual(before + 2));
    const sidecar = await client.send(
      new GetObjectCommand({ Bucket: 'documents', Key: 'docs/direct/note.txt.metadata.json' }),
    );
    expect(JSON.parse(await sidecar.Body!.transformToString())).toEqual({
      metadataAttributes: { year: 2026, team: 'ops' },
    });
    for (const event of events.slice(before)) await ingest(structuredClone(event));
    const { body } = await call('GET', '/documents/docs/direct/note.txt', { query: { chunks: 'true' } });
    expect(body).toMatchObject({ status: 'indexed', chunks: 1, metadata: { year: 2026, team: 'ops' } });
    expect(body.chunkTexts).toEqual([{ chunk: 0, text: 'A note sent straight to the API.' }]);
  });

  it('ingests a PDF sent base64-encoded by API Gateway, page text and all', async () => {
    const pdf = makePdf([['The direct report, page one.'], ['Page two of it.']]);
    const before = events.length;
    const res = await call('PUT', '/documents/docs/direct/report.pdf', { body: pdf });
    expect(res.status).toBe(202);
    await vi.waitFor(() => expect(events.length).toBeGreaterThan(before));
    await ingest(structuredClone(events.at(-1)!));
    const { body } = await call('GET', '/documents/docs/direct/report.pdf', { query: { chunks: 'true' } });
    expect(body).toMatchObject({ status: 'indexed', chunks: 1, contentType: 'application/pdf', bytes: pdf.length });
    expect(body.chunkTexts[0].text).toContain('The direct report, page one.');
  });

  it.each([
    [
      'a type ingestion does not read',
      '/documents/docs/direct/slides.pptx',
      'x',
      {},
      415,
      /unsupported file type ".pptx"/,
    ],
    [
      "a body over the route's limit",
      '/documents/docs/direct/big.txt',
      'a'.repeat(4 * 1024 * 1024 + 1),
      {},
      413,
      /upload-url/,
    ],
    ['an empty body', '/documents/docs/direct/empty.txt', '', {}, 400, /empty/],
    ['a key outside the documents prefix', '/documents/elsewhere/a.txt', 'x', {}, 400, /start with "docs\/"/],
    ['a sidecar key', '/documents/docs/direct/a.txt.metadata.json', 'x', {}, 400, /sidecar/],
    [
      'metadata that is not JSON',
      '/documents/docs/direct/m.txt',
      'x',
      { 'x-document-metadata': '{year' },
      400,
      /not valid JSON/,
    ],
    ['metadata of a bad shape', '/documents/docs/direct/m.txt', 'x', { 'x-document-metadata': '[1]' }, 400, /metadata/],
  ])('refuses a PUT of %s, writing nothing', async (_label, path, body, headers, status, error) => {
    const before = events.length;
    const res = await call('PUT', path, { body, headers: headers as Record<string, string> });
    expect(res.status).toBe(status);
    expect(res.body.error).toMatch(error);
    expect(events.length).toBe(before);
  });

  it('returns a presigned upload for a large document, signed for its exact size, that S3 takes and ingestion indexes', async () => {
    const text = sample.slice(0, 9000);
    const res = await call('POST', '/documents/docs/large/speech.txt/upload-url', {
      body: JSON.stringify({ bytes: Buffer.byteLength(text) }),
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      source: 'docs/large/speech.txt',
      method: 'PUT',
      headers: { 'content-length': String(Buffer.byteLength(text)) },
    });
    // S3 refuses a body of another size because the length is signed (s3rver does not check signed headers).
    expect(new URL(res.body.url).searchParams.get('X-Amz-SignedHeaders')).toContain('content-length');
    const before = events.length;
    const upload = await fetch(res.body.url, { method: 'PUT', body: text, headers: res.body.headers });
    expect(upload.status).toBe(200);
    await vi.waitFor(() => expect(events.length).toBeGreaterThan(before));
    await ingest(structuredClone(events.at(-1)!));
    expect((await call('GET', '/documents/docs/large/speech.txt')).body).toMatchObject({
      status: 'indexed',
      chunks: await chunkCount(text),
    });
    const tooBig = await call('POST', '/documents/docs/large/huge.txt/upload-url', {
      body: JSON.stringify({ bytes: 50 * 1024 * 1024 }),
    });
    expect(tooBig.status).toBe(413);
  });

  it('returns the chunks of a document with ?chunks=true, in order', async () => {
    const text = 'First paragraph of the chunked note.\n\nSecond paragraph, kept apart.';
    await ingest(await change('docs/status/chunked.txt', text));
    const { body } = await call('GET', '/documents/docs/status/chunked.txt', { query: { chunks: 'true' } });
    expect(body.chunks).toBe(1);
    expect(body.chunkTexts).toEqual([{ chunk: 0, text }]);
  });

  it('marks a corrupt PDF failed with its reason and no chunks, and other documents stay as they were', async () => {
    await ingest(await change('docs/status/neighbour.txt', 'A healthy neighbour.'));
    const before = await store.count();
    const corrupt = makePdf([['Half a page']]).subarray(0, 200);
    await ingest(await change('docs/status/broken.pdf', corrupt));
    const { body } = await call('GET', '/documents/docs/status/broken.pdf');
    expect(body).toMatchObject({ status: 'failed', chunks: 0, contentType: 'application/pdf' });
    expect(body.reason).toMatch(/PDF/i);
    expect(await store.count()).toBe(before);
    expect((await call('GET', '/documents/docs/status/neighbour.txt')).body).toMatchObject({
      status: 'indexed',
      chunks: 1,
    });
  });

  it('says when a failed re-upload leaves the old version answering queries', async () => {
    await ingest(await change('docs/status/kept.pdf', makePdf([['The first version of the kept report.']])));
    await ingest(await change('docs/status/kept.pdf', Buffer.from('%PDF-1.4 truncated')));
    const { body } = await call('GET', '/documents/docs/status/kept.pdf');
    expect(body.status).toBe('failed');
    expect(body.chunks).toBe(1);
    expect(await store.count('docs/status/kept.pdf')).toBe(1);
  });

  it('deletes a document: 202, the object is gone, and its event leaves it deleted with no chunks', async () => {
    await ingest(await change('docs/status/gone.txt', 'Soon deleted.'));
    const before = events.length;
    const res = await call('DELETE', '/documents/docs/status/gone.txt');
    expect(res).toEqual({ status: 202, body: { source: 'docs/status/gone.txt', status: 'deleting' } });
    await expect(
      client.send(new HeadObjectCommand({ Bucket: 'documents', Key: 'docs/status/gone.txt' })),
    ).rejects.toThrow();
    await vi.waitFor(() => expect(events.length).toBeGreaterThan(before));
    const removed = events.slice(before).find((e) => e.Records[0]?.s3.object.key === 'docs/status/gone.txt')!;
    await ingest(structuredClone(removed));
    expect(await store.count('docs/status/gone.txt')).toBe(0);
    expect((await call('GET', '/documents/docs/status/gone.txt')).body).toMatchObject({ status: 'deleted', chunks: 0 });
    const listed = await call('GET', '/documents', { query: { prefix: 'docs/status/' } });
    expect(listed.body.documents.map((d: { source: string }) => d.source)).not.toContain('docs/status/gone.txt');
    const deleted = await call('GET', '/documents', { query: { prefix: 'docs/status/', status: 'deleted' } });
    expect(deleted.body.documents.map((d: { source: string }) => d.source)).toEqual(['docs/status/gone.txt']);
  });

  it('shows a document uploaded straight to S3 pending before ingestion records anything, in the list too', async () => {
    await change('docs/fresh/new.txt', 'Uploaded, not yet ingested.'); // its event is not handed to ingestion
    expect((await call('GET', '/documents/docs/fresh/new.txt')).body).toMatchObject({
      source: 'docs/fresh/new.txt',
      status: 'pending',
      chunks: 0,
      tenant: 'fresh',
      contentType: 'text/plain',
    });
    const listed = await call('GET', '/documents', { query: { prefix: 'docs/fresh/' } });
    expect(listed.body).toMatchObject({ documents: [{ source: 'docs/fresh/new.txt', status: 'pending' }] });
    const pending = await call('GET', '/documents', { query: { prefix: 'docs/fresh/', status: 'pending' } });
    expect(pending.body.documents.map((d: { source: string }) => d.source)).toEqual(['docs/fresh/new.txt']);
    const other = { sub: 'u2', tenant: 'globex' };
    expect((await call('GET', '/documents/docs/fresh/new.txt', { claims: other })).status).toBe(404);
    expect(
      (await call('GET', '/documents', { claims: other, query: { prefix: 'docs/' } })).body.documents,
    ).not.toContainEqual(expect.objectContaining({ source: 'docs/fresh/new.txt' }));
  });

  it('shows a re-upload pending, the old chunks still counted, until its outcome is recorded', async () => {
    await ingest(await change('docs/fresh/again.txt', 'First version.'));
    const event = await change('docs/fresh/again.txt', 'Second version, longer than the first one was.');
    const shown = (await call('GET', '/documents/docs/fresh/again.txt')).body;
    expect(shown).toMatchObject({ status: 'pending', chunks: 1, bytes: 14 });
    const listed = await call('GET', '/documents', { query: { prefix: 'docs/fresh/again' } });
    expect(listed.body.documents).toMatchObject([{ source: 'docs/fresh/again.txt', status: 'pending' }]);
    const indexedOnly = await call('GET', '/documents', { query: { prefix: 'docs/fresh/again', status: 'indexed' } });
    expect(indexedOnly.body.documents).toEqual([]);
    await ingest(event);
    expect((await call('GET', '/documents/docs/fresh/again.txt')).body).toMatchObject({ status: 'indexed', bytes: 46 });
  });

  it('shows a document deleted straight from S3 deleting until its removal is recorded', async () => {
    await ingest(await change('docs/fresh/dropped.txt', 'Dropped soon.'));
    const removed = await change('docs/fresh/dropped.txt', null);
    expect((await call('GET', '/documents/docs/fresh/dropped.txt')).body).toMatchObject({
      status: 'deleting',
      chunks: 1,
    });
    const deleting = await call('GET', '/documents', { query: { prefix: 'docs/fresh/dropped', status: 'deleting' } });
    expect(deleting.body.documents.map((d: { source: string }) => d.source)).toEqual(['docs/fresh/dropped.txt']);
    await ingest(removed);
    expect((await call('GET', '/documents/docs/fresh/dropped.txt')).body).toMatchObject({
      status: 'deleted',
      chunks: 0,
    });
  });

  it('pages the list in key order with an opaque cursor, filtered by prefix and status', async () => {
    for (const name of ['c', 'a', 'e', 'b', 'd']) await ingest(await change(`docs/paged/${name}.txt`, `Note ${name}.`));
    const first = await call('GET', '/documents', { query: { prefix: 'docs/paged/', limit: '2' } });
    expect(first.body.documents.map((d: { source: string }) => d.source)).toEqual([
      'docs/paged/a.txt',
      'docs/paged/b.txt',
    ]);
    const second = await call('GET', '/documents', {
      query: { prefix: 'docs/paged/', limit: '2', cursor: first.body.nextCursor },
    });
    expect(second.body.documents.map((d: { source: string }) => d.source)).toEqual([
      'docs/paged/c.txt',
      'docs/paged/d.txt',
    ]);
    const last = await call('GET', '/documents', {
      query: { prefix: 'docs/paged/', limit: '2', cursor: second.body.nextCursor },
    });
    expect(last.body).toMatchObject({ documents: [{ source: 'docs/paged/e.txt' }], nextCursor: null });
    const failed = await call('GET', '/documents', { query: { prefix: 'docs/paged/', status: 'failed' } });
    expect(failed.body).toEqual({ documents: [], nextCursor: null });
  });

  it("scopes every route to the caller's tenant; another tenant's document is a 404 like a missing one", async () => {
    await ingest(await change('docs/acme/plan.txt', 'The acme plan.'));
    await ingest(await change('docs/globex/plan.txt', 'The globex plan.'));
    const acme = { sub: 'u1', tenant: 'acme' };
    const listed = await call('GET', '/documents', { claims: acme });
    expect(new Set(listed.body.documents.map((d: { tenant: string }) => d.tenant))).toEqual(new Set(['acme']));
    const missing = await call('GET', '/documents/docs/acme/nothing.txt', { claims: acme });
    const foreign = await call('GET', '/documents/docs/globex/plan.txt', { claims: acme });
    expect(foreign).toEqual({ status: 404, body: { error: 'no document docs/globex/plan.txt' } });
    expect(missing.status).toBe(404);
    expect((await call('DELETE', '/documents/docs/globex/plan.txt', { claims: acme })).status).toBe(404);
    expect(
      (await client.send(new HeadObjectCommand({ Bucket: 'documents', Key: 'docs/globex/plan.txt' }))).ContentLength,
    ).toBe(16);
    const named = await call('GET', '/documents', { claims: acme, query: { tenant: 'globex' } });
    expect(named).toEqual({ status: 403, body: { error: 'tenant: a request may only name its own tenant' } });
  });

  it.each([
    ['a ".." segment', '/documents/docs/acme/..%2Fglobex/plan.txt', 'document key holds a "." or ".." segment'],
    ['an absolute key', '/documents/%2Fetc/passwd', 'document key is absolute (starts with "/")'],
    ['a control character', '/documents/docs/a%07b.txt', 'document key holds control characters'],
    ['a key over 1,024 bytes', `/documents/docs/${'k'.repeat(1100)}.txt`, "document key is over S3's 1024-byte limit"],
    ['bad percent-encoding', '/documents/docs/%E0%A4%A.txt', 'document key is not valid percent-encoding'],
  ])('refuses %s with a 400 naming the problem', async (_label, path, error) => {
    for (const method of ['GET', 'DELETE']) expect(await call(method, path)).toEqual({ status: 400, body: { error } });
  });

  it.each([
    [{ status: 'done' }, /status/],
    [{ limit: '0' }, /limit/],
    [{ cursor: 'not-a-cursor!' }, /cursor/],
    [{ colour: 'red' }, /colour/],
  ])('refuses a bad list query %j with a 400', async (query, error) => {
    const res = await call('GET', '/documents', { query: query as Record<string, string> });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(error);
  });
});
