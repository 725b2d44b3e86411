import { DeleteObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { sqsRecord } from '../../local/ingestQueue.js';
import { startLocalS3, type LocalS3, type S3EventNotification } from '../../local/s3Server.js';
import { makePdf } from '../documents.js';
import {
  type HttpResult,
  eventFixture,
  importHandlers,
  lambdaContext,
  localS3Client,
  localS3Env,
  objectChanger,
} from '../helpers.js';

type Handler = (event: unknown, context: unknown) => Promise<unknown>;

let s3: LocalS3;
let client: S3Client;
let ingestHandler: Handler;
let documentsHandler: Handler;
let invokeApi: http.Server;
const events: S3EventNotification[] = [];
/** Job invocations the Lambda Invoke API took (InvocationType Event), and the runs they started. */
const invocations: { payload: unknown; type: string | undefined }[] = [];
let held: Promise<void> | null = null;
let runs: Promise<unknown>[] = [];

/**
 * The Lambda Invoke API as the documents function calls it through the real SDK client: an `Event` invocation is
 * answered 202 at once and runs the ingest handler afterwards (after `held` resolves, when a test holds it).
 */
function startInvokeApi(): Promise<string> {
  invokeApi = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const payload = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      const type = req.headers['x-amz-invocation-type'] as string | undefined;
      invocations.push({ payload, type });
      res.writeHead(202).end();
      const gate = held ?? Promise.resolve();
      runs.push(gate.then(() => ingestHandler(payload, lambdaContext('ingest'))));
    });
  });
  return new Promise((resolve) =>
    invokeApi.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(invokeApi.address() as AddressInfo).port}`)),
  );
}

beforeAll(async () => {
  s3 = await startLocalS3({ buckets: ['documents', 'vectors'] });
  s3.onEvent((e) => events.push(e));
  const endpoint = await startInvokeApi();
  const env = localS3Env(s3, {
    DOCUMENTS_BUCKET: 'documents',
    INGEST_FUNCTION_NAME: 'ingest',
    INGEST_FUNCTION_ENDPOINT: endpoint,
    POWERTOOLS_LOG_LEVEL: 'CRITICAL',
  });
  [ingestHandler, documentsHandler] = (await importHandlers(env, ['ingest', 'documents'])) as [Handler, Handler];
  client = await localS3Client(s3);
});

afterAll(async () => {
  vi.unstubAllEnvs();
  client?.destroy();
  await new Promise((r) => invokeApi?.close(r));
  await s3?.close();
});

const change = (key: string, body: string | Uint8Array | null) => objectChanger(client, events)(key, body);
const ingest = async (event: unknown) => ingestHandler(event, lambdaContext('ingest'));
/** An object change whose S3 event is never ingested: the drift a sync repairs. */
const drift = async (key: string, body: string | Uint8Array | null) => {
  if (body === null) await client.send(new DeleteObjectCommand({ Bucket: 'documents', Key: key }));
  else await client.send(new PutObjectCommand({ Bucket: 'documents', Key: key, Body: body }));
};

async function call(
  method: string,
  path: string,
  options: { body?: unknown; claims?: Record<string, unknown> } = {},
): Promise<{ status: number; body: any }> {
  const event = eventFixture<Record<string, any>>('apigw/query.json');
  Object.assign(event, { routeKey: `${method} ${path}`, rawPath: path, queryStringParameters: undefined });
  event.requestContext.http = { ...event.requestContext.http, method, path };
  event.body = options.body === undefined ? undefined : JSON.stringify(options.body);
  if (options.claims) event.requestContext.authorizer = { jwt: { claims: options.claims, scopes: null } };
  const res = (await documentsHandler(event, lambdaContext('documents'))) as HttpResult;
  return { status: res.statusCode, body: JSON.parse(res.body) };
}

/** Waits for every job run the Invoke API started, then reads the job. */
async function finished(id: string) {
  await Promise.all(runs);
  runs = [];
  return (await call('GET', `/ingestion-jobs/${id}`)).body;
}

describe('ingestion jobs (documents API → Lambda Invoke API → ingest handler, local S3, LanceDB on s3://)', () => {
  it("counts a sync's documents exactly: new, modified, metadata, unchanged, deleted, failed, metadata files", async () => {
    for (const [key, text] of [
      ['docs/sync/a.txt', 'Unchanged all along.'],
      ['docs/sync/b.txt', 'The first version of b.'],
      ['docs/sync/c.txt', 'Gone from the bucket later.'],
      ['docs/sync/m.txt', 'Tagged later.'],
    ] as const) {
      await ingest(await change(key, text));
    }
    await drift('docs/sync/b.txt', 'The second version of b.');
    await drift('docs/sync/c.txt', null);
    await drift('docs/sync/d.txt', 'A new document nobody ingested.');
    await drift('docs/sync/e.pdf', Buffer.from('%PDF-1.7 not really'));
    await drift('docs/sync/m.txt.metadata.json', JSON.stringify({ metadataAttributes: { year: 2026 } }));
    await drift('docs/other/outside.txt', 'Outside the prefix.');

    const started = await call('POST', '/ingestion-jobs', { body: { prefix: 'docs/sync/' } });
    expect(started.status).toBe(202);
    expect(started.body).toMatchObject({ prefix: 'docs/sync/', only: 'all', status: 'STARTING' });
    expect(invocations.at(-1)).toEqual({
      payload: { ingestionJob: { id: started.body.id, offset: 0 } },
      type: 'Event',
    });
    const job = await finished(started.body.id);
    expect(job.status).toBe('COMPLETE');
    expect(job.statistics).toEqual({
      numberOfDocumentsScanned: 5,
      numberOfMetadataDocumentsScanned: 1,
      numberOfNewDocumentsIndexed: 1,
      numberOfModifiedDocumentsIndexed: 1,
      numberOfMetadataDocumentsModified: 1,
      numberOfDocumentsUnchanged: 1,
      numberOfDocumentsDeleted: 1,
      numberOfDocumentsFailed: 1,
    });
    expect(job.failures).toEqual([{ source: 'docs/sync/e.pdf', reason: expect.stringMatching(/PDF/i) }]);
    expect((await call('GET', '/documents/docs/sync/d.txt')).body).toMatchObject({ status: 'indexed', chunks: 1 });
    expect((await call('GET', '/documents/docs/sync/c.txt')).body).toMatchObject({ status: 'deleted', chunks: 0 });
    expect((await call('GET', '/documents/docs/sync/e.pdf')).body).toMatchObject({ status: 'failed' });
    expect((await call('GET', '/documents/docs/sync/m.txt')).body).toMatchObject({ metadata: { year: 2026 } });
    // Outside the job's prefix: not synced, so only S3 knows it (its upload's event never reached ingestion here).
    expect((await call('GET', '/documents/docs/other/outside.txt')).body).toMatchObject({
      status: 'pending',
      chunks: 0,
    });
  });

  it('redrives only the failed documents once their cause is fixed', async () => {
    await drift('docs/redrive/ok.txt', 'Fine from the start.');
    await drift('docs/redrive/bad.pdf', Buffer.from('%PDF-1.7 broken'));
    const first = await call('POST', '/ingestion-jobs', { body: { prefix: 'docs/redrive/' } });
    expect((await finished(first.body.id)).statistics.numberOfDocumentsFailed).toBe(1);
    await drift('docs/redrive/bad.pdf', makePdf([['Fixed at last.']]));
    const redrive = await call('POST', '/ingestion-jobs', { body: { prefix: 'docs/redrive/', only: 'failed' } });
    const job = await finished(redrive.body.id);
    expect(job).toMatchObject({ status: 'COMPLETE', only: 'failed', failures: [] });
    expect(job.statistics).toMatchObject({
      numberOfDocumentsScanned: 1,
      numberOfNewDocumentsIndexed: 1,
      numberOfDocumentsUnchanged: 0,
      numberOfDocumentsFailed: 0,
    });
    expect((await call('GET', '/documents/docs/redrive/bad.pdf')).body).toMatchObject({ status: 'indexed', chunks: 1 });
  });

  it("refuses a second sync while one runs (409 with the running job's id), and takes one after it ends", async () => {
    let release!: () => void;
    held = new Promise((r) => (release = r));
    const first = await call('POST', '/ingestion-jobs', { body: { prefix: 'docs/sync/' } });
    const second = await call('POST', '/ingestion-jobs', { body: { prefix: 'docs/redrive/' } });
    expect(second).toEqual({
      status: 409,
      body: { error: `an ingestion job is running for this tenant: ${first.body.id}`, jobId: first.body.id },
    });
    held = null;
    release();
    expect((await finished(first.body.id)).status).toBe('COMPLETE');
    const third = await call('POST', '/ingestion-jobs', { body: { prefix: 'docs/sync/' } });
    expect(third.status).toBe(202);
    expect((await finished(third.body.id)).statistics.numberOfDocumentsUnchanged).toBe(4);
  });

  it("scopes jobs to the caller's tenant: its own folder by default, others' prefixes refused, others' jobs 404", async () => {
    await drift('docs/acme/one.txt', 'Acme only.');
    const acme = { sub: 'u1', tenant: 'acme' };
    const own = await call('POST', '/ingestion-jobs', { claims: acme });
    expect(own.body).toMatchObject({ prefix: 'docs/acme/', tenant: 'acme' });
    expect((await finished(own.body.id)).statistics.numberOfNewDocumentsIndexed).toBe(1);
    const foreign = await call('POST', '/ingestion-jobs', { claims: acme, body: { prefix: 'docs/globex/' } });
    expect(foreign).toEqual({ status: 400, body: { error: 'prefix must start with "docs/acme/"' } });
    const unscoped = await call('POST', '/ingestion-jobs', { body: { prefix: 'docs/sync/' } });
    await finished(unscoped.body.id);
    expect((await call('GET', `/ingestion-jobs/${unscoped.body.id}`, { claims: acme })).status).toBe(404);
    expect((await call('GET', '/ingestion-jobs/not-a-job')).status).toBe(404);
    expect((await call('POST', '/ingestion-jobs', { body: { only: 'some' } })).status).toBe(400);
  });
});

describe('dead letters', () => {
  it('leaves a document pending with the reason while its message is retried, failed on the last receive', async () => {
    const event = await change('docs/dlq/stuck.txt', 'Never readable from its bucket.');
    event.Records[0]!.s3.bucket.name = 'no-such-bucket';
    const batch = (receiveCount: number) => ({
      Records: [sqsRecord({ messageId: `m-${receiveCount}`, body: JSON.stringify(event), receiveCount })],
    });
    // A batch whose every message failed is thrown (Powertools): the queue retries all of it.
    await expect(ingest(batch(1))).rejects.toThrow(/All records failed/);
    const retried = (await call('GET', '/documents/docs/dlq/stuck.txt')).body;
    expect(retried).toMatchObject({
      status: 'pending',
      reason: expect.stringMatching(/^last attempt failed, retried/),
    });
    await expect(ingest(batch(3))).rejects.toThrow(/All records failed/);
    const given = (await call('GET', '/documents/docs/dlq/stuck.txt')).body;
    expect(given.status).toBe('failed');
    expect(given.reason).toMatch(/^gave up after 3 attempts \(the message is in the dead-letter queue\)/);
  });
});
