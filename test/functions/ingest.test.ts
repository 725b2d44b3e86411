import type { S3Client } from '@aws-sdk/client-s3';
import { RecursiveCharacterTextSplitter } from '@langchain/textsplitters';
import { readFileSync } from 'node:fs';
import type { SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { sqsRecord } from '../../local/ingestQueue.js';
import { startLocalS3, type LocalS3, type S3EventNotification } from '../../local/s3Server.js';
import type { LanceStore } from '../../shared/adapters/lancedb/lanceStore.js';
import { badFiles, makeDocx, makeHtml, makePdf } from '../documents.js';
import {
  SAMPLE_DOCUMENT,
  eventFixture,
  importWithEnv,
  objectChanger,
  lambdaContext,
  localS3Client,
  localS3Env,
  openLocalS3Table,
} from '../helpers.js';
import { captureJsonLines, emfMetric } from '../jsonLines.js';
import type { IngestOutcome } from '../../shared/pipeline/ingest/batchCommit.js';

type Handler = (event: unknown, context: unknown) => Promise<{ outcomes: IngestOutcome[] }>;
type BatchResponse = { batchItemFailures: { itemIdentifier: string }[] };

let s3: LocalS3;
let client: S3Client;
let handler: Handler;
let store: LanceStore;
let dimension: number;
const events: S3EventNotification[] = [];
const sample = readFileSync(SAMPLE_DOCUMENT, 'utf8');

beforeAll(async () => {
  s3 = await startLocalS3({ buckets: ['documents', 'vectors'] });
  s3.onEvent((e) => events.push(e));
  const env = localS3Env(s3, { MAX_DOCUMENT_BYTES: String(10 * 1024 * 1024), POWERTOOLS_LOG_LEVEL: 'ERROR' });
  handler = await importWithEnv(
    env,
    async () => (await import('../../functions/ingest/handler.js')).handler as unknown as Handler,
  );
  client = await localS3Client(s3);
  // A reader of the same table, as the query function would open it.
  const { TransformersEmbedder } = await import('../../shared/adapters/transformers/embedder.js');
  const embedder = await TransformersEmbedder.create({ model: 'tiny-embed' });
  dimension = embedder.dimension;
  store = await openLocalS3Table(s3.endpoint);
});

afterAll(async () => {
  vi.unstubAllEnvs();
  client?.destroy();
  await s3?.close();
});

const change = (key: string, body: string | Uint8Array | null, metadata?: Record<string, string>) =>
  objectChanger(client, events)(key, body, metadata);

const ingest = (event: unknown) => handler(event, lambdaContext('ingest'));

async function storedChunks(source: string): Promise<string[]> {
  // Any query vector: with the source filter and a high limit, every chunk of the source comes back.
  const hits = await store.search(new Array<number>(dimension).fill(0.1), { limit: 1000, source });
  return hits.sort((a, b) => a.chunk - b.chunk).map((h) => h.text);
}

const chunksOf = async (text: string) =>
  new RecursiveCharacterTextSplitter({ chunkSize: 500, chunkOverlap: 100 }).splitText(text);

/** The key of the bundled S3 event fixtures (URL-encoded in them as real S3 sends it). */
const FIXTURE_KEY = 'docs/state of the union.txt';

// Every test uploads and ingests the documents it needs under keys of its own (or, for the fixture events'
// key, first brings that key to a known state), so none depends on what another test left behind.
describe('ingest handler (local S3, LanceDB on s3://)', () => {
  it('stores exactly the chunks LangChain splits the document into', async () => {
    const event = await change('docs/stored.txt', sample);
    const { outcomes } = await ingest(event);
    const expected = await chunksOf(sample);
    expect(outcomes).toEqual([{ source: 'docs/stored.txt', action: 'indexed', chunks: expected.length }]);
    expect(await storedChunks('docs/stored.txt')).toEqual(expected);
  });

  it('is a no-op when the same content arrives again (at-least-once delivery)', async () => {
    const event = await change('docs/redelivered.txt', sample);
    const chunks = (await chunksOf(sample)).length;
    expect((await ingest(event)).outcomes).toEqual([{ source: 'docs/redelivered.txt', action: 'indexed', chunks }]);
    const count = await store.count();
    const { outcomes } = await ingest(event);
    expect(outcomes).toEqual([{ source: 'docs/redelivered.txt', action: 'unchanged' }]);
    expect(await store.count()).toBe(count);
  });

  it('replaces the chunks of a re-uploaded document without duplicates', async () => {
    await ingest(await change('docs/reuploaded.txt', sample));
    expect(await storedChunks('docs/reuploaded.txt')).toEqual(await chunksOf(sample));
    const shorter = sample.slice(0, 3000);
    const { outcomes } = await ingest(await change('docs/reuploaded.txt', shorter));
    const expected = await chunksOf(shorter);
    expect(outcomes).toEqual([{ source: 'docs/reuploaded.txt', action: 'indexed', chunks: expected.length }]);
    expect(await storedChunks('docs/reuploaded.txt')).toEqual(expected);
  });

  it('accepts the URL-encoded keys real S3 sends (a fixture event)', async () => {
    // Index other content under the key first, so the fixture's "created" event has something new to index.
    await ingest(await change(FIXTURE_KEY, 'An earlier version.'));
    await change(FIXTURE_KEY, sample);
    const { outcomes } = await ingest(eventFixture('s3/object-created.json'));
    expect(outcomes).toEqual([{ source: FIXTURE_KEY, action: 'indexed', chunks: (await chunksOf(sample)).length }]);
  });

  it('removes every chunk of a deleted document and nothing else', async () => {
    await ingest(await change('docs/other.md', 'Another document about the economy.\n\nIt has two paragraphs.'));
    await ingest(await change('docs/deleted.txt', sample.slice(0, 3000)));
    const otherCount = await store.count('docs/other.md');
    const deletedCount = await store.count('docs/deleted.txt');
    expect(otherCount).toBeGreaterThan(0);
    expect(deletedCount).toBeGreaterThan(0);
    const { outcomes } = await ingest(await change('docs/deleted.txt', null));
    expect(outcomes).toEqual([{ source: 'docs/deleted.txt', action: 'deleted', chunks: deletedCount }]);
    expect(await store.count('docs/deleted.txt')).toBe(0);
    expect(await store.count('docs/other.md')).toBe(otherCount);
  });

  it('ignores a stale "created" event for an object deleted since (out-of-order delivery)', async () => {
    const created = await change('docs/stale.txt', 'Short lived.');
    await change('docs/stale.txt', null);
    const { outcomes } = await ingest(created);
    expect(outcomes[0]).toMatchObject({ action: 'deleted', chunks: 0 });
    expect(await store.count('docs/stale.txt')).toBe(0);
  });

  it('keeps a re-uploaded document when a stale "removed" event arrives', async () => {
    await change('docs/back.txt', 'First version.');
    const removed = await change('docs/back.txt', null);
    await ingest(await change('docs/back.txt', 'It came back.'));
    const { outcomes } = await ingest(removed);
    expect(outcomes[0]?.action).toBe('unchanged');
    expect(await storedChunks('docs/back.txt')).toEqual(['It came back.']);
  });

  it('loses nothing when two documents are ingested concurrently', async () => {
    const a = await change('docs/a.txt', sample.slice(0, 20_000));
    const b = await change('docs/b.txt', sample.slice(20_000));
    await Promise.all([ingest(a), ingest(b)]);
    const splitter = new RecursiveCharacterTextSplitter({ chunkSize: 500, chunkOverlap: 100 });
    expect(await store.count('docs/a.txt')).toBe((await splitter.splitText(sample.slice(0, 20_000))).length);
    expect(await store.count('docs/b.txt')).toBe((await splitter.splitText(sample.slice(20_000))).length);
  });

  it.each([
    ['an empty file', 'docs/empty.txt', '', 'indexed'],
    ['a whitespace-only file', 'docs/blank.txt', ' \n\n\t ', 'indexed'],
  ])('indexes %s as zero chunks', async (_label, key, body, action) => {
    const { outcomes } = await ingest(await change(key, body));
    expect(outcomes[0]).toEqual({ source: key, action, chunks: 0 });
    expect(await store.count(key)).toBe(0);
  });

  it.each([
    ['a binary file', 'docs/image.txt', Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0x0d]), /binary/],
    ['non-UTF-8 bytes', 'docs/latin1.txt', Uint8Array.from([0x63, 0x61, 0x66, 0xe9, 0x20, 0x21]), /UTF-8/],
    ['an unsupported extension', 'docs/slides.pptx', 'not a document type', /unsupported file type/],
    ['a 20 MB text file', 'docs/huge.txt', 'a'.repeat(20 * 1024 * 1024), /limit is 10485760 bytes/],
  ])('skips %s with a reason and leaves other documents alone', async (_label, key, body, reason) => {
    await ingest(await change('docs/neighbour.txt', 'A document next to the skipped one.'));
    const before = await store.count();
    expect(before).toBeGreaterThan(0);
    const { outcomes } = await ingest(await change(key, body));
    expect(outcomes[0]).toMatchObject({ source: key, action: 'skipped' });
    expect((outcomes[0] as { reason: string }).reason).toMatch(reason);
    expect(await store.count()).toBe(before);
  });

  it.each(['docs/with space.txt', 'docs/plus+sign.txt', 'docs/ünïcödé 東京.md', 'docs/quote\'s "x".txt'])(
    'ingests and filters the key %s exactly',
    async (key) => {
      const { outcomes } = await ingest(await change(key, `Text of ${key}.`));
      expect(outcomes[0]).toEqual({ source: key, action: 'indexed', chunks: 1 });
      expect(await storedChunks(key)).toEqual([`Text of ${key}.`]);
    },
  );

  it('processes the other records of an event when one fails, then reports the failure', async () => {
    const good = await change('docs/good.txt', 'Good document.');
    const bad = structuredClone(good);
    bad.Records[0]!.s3.bucket.name = 'no-such-bucket';
    const event = { Records: [...bad.Records, ...good.Records] };
    await expect(ingest(event)).rejects.toThrow(/1 of 2 record\(s\) failed/);
    expect(await storedChunks('docs/good.txt')).toEqual(['Good document.']);
  });

  it('skips a record whose key is not valid URL encoding and still ingests the others', async () => {
    const good = await change('docs/good key.txt', 'A document next to a malformed key.');
    const bad = structuredClone(good);
    bad.Records[0]!.s3.object.key = 'docs/%E0%A4%A.txt';
    const { outcomes } = await ingest({ Records: [...bad.Records, ...good.Records] });
    expect(outcomes).toEqual([
      { source: 'docs/%E0%A4%A.txt', action: 'skipped', reason: 'key is not valid URL encoding: "docs/%E0%A4%A.txt"' },
      { source: 'docs/good key.txt', action: 'indexed', chunks: 1 },
    ]);
    expect(await storedChunks('docs/good key.txt')).toEqual(['A document next to a malformed key.']);
  });

  it('rejects an event that is not an S3 notification', async () => {
    await expect(ingest({ hello: 'world' })).rejects.toThrow(/not an S3 notification/);
  });

  it('reconciles the removed-event fixture to the current state (object gone → no chunks)', async () => {
    // The key is indexed, then its object is deleted without that event being ingested: the fixture's does it.
    await ingest(await change(FIXTURE_KEY, sample));
    const indexed = await store.count(FIXTURE_KEY);
    expect(indexed).toBeGreaterThan(0);
    await change(FIXTURE_KEY, null);
    const { outcomes } = await ingest(eventFixture('s3/object-removed.json'));
    expect(outcomes).toEqual([{ source: FIXTURE_KEY, action: 'deleted', chunks: indexed }]);
    expect(await store.count(FIXTURE_KEY)).toBe(0);
  });
});

/** SQS messages as the queue delivers S3 notifications: one notification per message body. */
function sqsBatch(bodies: unknown[]): SQSEvent {
  return {
    Records: bodies.map((body, i) =>
      sqsRecord({ messageId: `message-${i}`, body: typeof body === 'string' ? body : JSON.stringify(body) }),
    ),
  };
}

const ingestBatch = (event: SQSEvent) => handler(event, lambdaContext('ingest')) as unknown as Promise<BatchResponse>;

describe('ingest handler: SQS batches (S3 → queue → function)', () => {
  it('syncs the documents of a batch in one commit and prints their counts as EMF metrics', async () => {
    const keys = ['docs/batch-a.txt', 'docs/batch-b.txt', 'docs/batch-c.txt'];
    const notifications: S3EventNotification[] = [];
    for (const key of keys) notifications.push(await change(key, `Text of ${key}.`));
    notifications.push(await change('docs/batch-skipped.pdf', '%PDF-1.4'));
    const { result, emf } = await captureJsonLines(() => ingestBatch(sqsBatch(notifications)));
    expect(result).toEqual({ batchItemFailures: [] });
    for (const key of keys) expect(await storedChunks(key)).toEqual([`Text of ${key}.`]);
    expect(emfMetric(emf, 'documentsIndexed')).toBe(3);
    expect(emfMetric(emf, 'documentsSkipped')).toBe(1);
    expect(emfMetric(emf, 'documentsFailed')).toBe(0);
    expect(emfMetric(emf, 'chunksWritten')).toBe(3);
    expect(emfMetric(emf, 'commits')).toBe(1);
    expect(emfMetric(emf, 'commitRetries')).toBe(0);
    const names = emf.flatMap((line) => line._aws.CloudWatchMetrics.flatMap((m) => m.Metrics.map((x) => x.Name)));
    expect(names).toEqual(expect.arrayContaining(['documentsIndexed', 'documentsUnchanged', 'documentsDeleted']));
  });

  it('reports only the failed message, so the others are not retried', async () => {
    const good = await change('docs/partial-good.txt', 'The good one.');
    const bad = structuredClone(good);
    bad.Records[0]!.s3.bucket.name = 'no-such-bucket';
    const other = await change('docs/partial-other.txt', 'The other good one.');
    const response = await ingestBatch(sqsBatch([good, bad, other]));
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'message-1' }] });
    expect(await storedChunks('docs/partial-good.txt')).toEqual(['The good one.']);
    expect(await storedChunks('docs/partial-other.txt')).toEqual(['The other good one.']);
  });

  it("fails a malformed message alone and accepts S3's test message as nothing to do", async () => {
    const good = await change('docs/next-to-malformed.txt', 'Next to a malformed message.');
    const testEvent = { Service: 'Amazon S3', Event: 's3:TestEvent', Bucket: 'documents' };
    const response = await ingestBatch(sqsBatch(['{not json', { hello: 'world' }, testEvent, good]));
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'message-0' }, { itemIdentifier: 'message-1' }] });
    expect(await storedChunks('docs/next-to-malformed.txt')).toEqual(['Next to a malformed message.']);
  });

  it('syncs a key named by two messages of one batch once, to its current state', async () => {
    const first = await change('docs/twice.txt', 'First version.');
    const second = await change('docs/twice.txt', 'Second version.');
    const { result, emf } = await captureJsonLines(() => ingestBatch(sqsBatch([first, second])));
    expect(result).toEqual({ batchItemFailures: [] });
    expect(await storedChunks('docs/twice.txt')).toEqual(['Second version.']);
    expect(emfMetric(emf, 'documentsIndexed')).toBe(1);
  });
});

describe('ingest handler: time left', () => {
  it('indexes what fits in the time left and returns the other messages to the queue', async () => {
    const notifications: S3EventNotification[] = [];
    for (const key of ['docs/late-1.txt', 'docs/late-2.txt', 'docs/late-3.txt']) {
      notifications.push(await change(key, `Text of ${key}.`));
    }
    // Less than the reserve left: the first document still runs, the others wait for their next receive.
    const response = await handler(sqsBatch(notifications), lambdaContext('ingest', 60_000));
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'message-1' }, { itemIdentifier: 'message-2' }] });
    expect(await storedChunks('docs/late-1.txt')).toEqual(['Text of docs/late-1.txt.']);
    expect(await storedChunks('docs/late-2.txt')).toEqual([]);
  });
});

describe('ingest handler: metadata from S3 user metadata and sidecars', () => {
  const metadataOf = async (source: string) =>
    (await store.search(new Array<number>(dimension).fill(0.1), { limit: 1000, source })).map((h) => h.metadata);
  const sidecar = (attributes: Record<string, unknown>) => JSON.stringify({ metadataAttributes: attributes });

  it('stores x-amz-meta-* and the sidecar on every chunk, re-applies a new sidecar and drops a deleted one', async () => {
    const key = 'docs/meta/plan.txt';
    await change(`${key}.metadata.json`, sidecar({ team: 'eng', year: 2024, tags: ['q4'] }));
    await ingest(await change(key, sample.slice(0, 1500), { customer: 'acme', team: 'ops' }));
    const chunks = await storedChunks(key);
    expect(chunks.length).toBeGreaterThan(1);
    const full = { customer: 'acme', team: 'eng', year: 2024, tags: ['q4'] };
    expect(await metadataOf(key)).toEqual(chunks.map(() => full));

    // A new sidecar: its own event syncs the document, and only the metadata changes.
    const { outcomes } = await ingest(await change(`${key}.metadata.json`, sidecar({ team: 'legal', year: 2025 })));
    expect(outcomes).toEqual([{ source: key, action: 'metadata', chunks: chunks.length }]);
    expect(await storedChunks(key)).toEqual(chunks);
    expect(await metadataOf(key)).toEqual(chunks.map(() => ({ customer: 'acme', team: 'legal', year: 2025 })));

    // The sidecar deleted: what is left is the object's own user metadata.
    const removed = await ingest(await change(`${key}.metadata.json`, null));
    expect(removed.outcomes).toEqual([{ source: key, action: 'metadata', chunks: chunks.length }]);
    expect(await metadataOf(key)).toEqual(chunks.map(() => ({ customer: 'acme', team: 'ops' })));
  });

  it('skips a document with a broken sidecar with its reason, and the event of a lone sidecar does nothing', async () => {
    await change('docs/meta/broken.txt.metadata.json', '{"metadataAttributes": ');
    const { outcomes } = await ingest(await change('docs/meta/broken.txt', 'Some text about ports.'));
    expect(outcomes).toEqual([
      { source: 'docs/meta/broken.txt', action: 'skipped', reason: 'metadata sidecar is not valid JSON' },
    ]);
    expect(await storedChunks('docs/meta/broken.txt')).toEqual([]);
    const lone = await ingest(await change('docs/meta/absent.txt.metadata.json', sidecar({ team: 'eng' })));
    expect(lone.outcomes).toEqual([{ source: 'docs/meta/absent.txt', action: 'deleted', chunks: 0 }]);
  });
});

describe('ingest handler: PDF, HTML and Word documents, and the bad-file matrix', () => {
  const lines = (topic: string) =>
    Array.from({ length: 12 }, (_, i) => `Line ${i + 1} about ${topic}: the plan invests in roads and ports.`);

  it('indexes a PDF, an HTML page and a Word file by their text, in one batch', async () => {
    const pdfPages = [lines('bridges'), lines('railways')];
    const documents: [string, Buffer, string][] = [
      [
        'docs/formats/report.pdf',
        makePdf(pdfPages, { compress: true }),
        pdfPages.map((p) => p.join('\n')).join('\n\n'),
      ],
      [
        'docs/formats/page.html',
        Buffer.from(
          makeHtml(
            `<h1>Ports</h1>${lines('ports')
              .map((l) => `<p>${l}</p>`)
              .join('\n')}`,
          ),
        ),
        ['Ports', ...lines('ports')].join('\n\n'),
      ],
      [
        'docs/formats/memo.docx',
        makeDocx([
          { text: 'Memo', style: 'Heading1' },
          ...lines('harbours').map((text) => ({ text })),
          {
            table: [
              ['Port', 'Budget'],
              ['North', '12'],
            ],
          },
        ]),
        ['Memo', ...lines('harbours'), 'Port | Budget\nNorth | 12'].join('\n\n'),
      ],
    ];
    const notifications: S3EventNotification[] = [];
    for (const [key, bytes] of documents) notifications.push(await change(key, bytes));
    expect(await ingestBatch(sqsBatch(notifications))).toEqual({ batchItemFailures: [] });
    for (const [key, , text] of documents) {
      const expected = await chunksOf(text);
      expect(expected.length).toBeGreaterThan(1);
      expect(await storedChunks(key)).toEqual(expected);
      // Citations: each chunk's offsets point at itself in the extracted text.
      const hits = await store.search(new Array<number>(dimension).fill(0.1), { limit: 1000, source: key });
      for (const hit of hits) expect(text.slice(hit.offsets!.start, hit.offsets!.end)).toBe(hit.text);
    }
    // PDF pages: page 1's text ends where the first page's lines do; page 2 starts two characters later.
    const pageOneEnd = pdfPages[0]!.join('\n').length;
    const pdfHits = await store.search(new Array<number>(dimension).fill(0.1), {
      limit: 1000,
      source: 'docs/formats/report.pdf',
    });
    for (const { offsets, pages } of pdfHits) {
      expect(pages).toEqual({
        first: offsets!.start < pageOneEnd ? 1 : 2,
        last: offsets!.end > pageOneEnd + 2 ? 2 : 1,
      });
    }
    // The splitter breaks at the blank line between the pages, so each chunk is on one of them, both occur.
    expect(new Set(pdfHits.map((h) => h.pages!.first))).toEqual(new Set([1, 2]));
    // Formats without pages have none.
    expect(
      (await store.search(new Array<number>(dimension).fill(0.1), { limit: 5, source: 'docs/formats/page.html' }))[0]!
        .pages,
    ).toBeNull();
  });

  it('skips every file of the bad-file matrix with its reason, the index otherwise unchanged, the function alive', async () => {
    await ingest(await change('docs/bad/neighbour.txt', 'A document next to the bad files.'));
    const before = await store.count();
    const matrix = badFiles({ maxBytes: 10 * 1024 * 1024, maxChars: 4 * 1024 * 1024 });
    const records: S3EventNotification['Records'] = [];
    for (const file of matrix) records.push(...(await change(`docs/bad/${file.name}`, file.bytes)).Records);
    const { outcomes } = await ingest({ Records: records });
    expect(outcomes).toEqual(
      matrix.map((file) => ({ source: `docs/bad/${file.name}`, action: 'skipped', reason: file.reason })),
    );
    expect(await store.count()).toBe(before);
    expect(await storedChunks('docs/bad/neighbour.txt')).toEqual(['A document next to the bad files.']);
    const after = await ingest(await change('docs/bad/after.txt', 'Indexed after the bad files.'));
    expect(after.outcomes).toEqual([{ source: 'docs/bad/after.txt', action: 'indexed', chunks: 1 }]);
  });
});
