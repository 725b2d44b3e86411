import { extractText } from '../shared/adapters/extract/index.js';
import { LanceStatusStore } from '../shared/adapters/lancedb/statusTable.js';
import { LanceStore } from '../shared/adapters/lancedb/lanceStore.js';
import { lanceStorageOptions } from '../shared/adapters/lancedb/options.js';
import { TransformersEmbedder } from '../shared/adapters/transformers/embedder.js';
import { type IngestDeps, syncDocuments } from '../shared/pipeline/ingest/ingest.js';
import type { DocumentStatus } from '../shared/pipeline/ingest/records.js';
import { silentLog } from '../shared/pipeline/log.js';
import type { DocumentContent, DocumentReader } from '../shared/pipeline/ports.js';
import { createHash } from 'node:crypto';
import os from 'node:os';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { createS3Client } from '../shared/adapters/s3/s3Documents.js';
import { affinityOf, pin } from './cpus.js';
import { startS3Process } from './s3Process.js';
import { type BenchRow, formatTiming, time, timeInterleaved, timePaired } from './stats.js';

/**
 * The documents API's costs, on LanceDB on a local S3 server in its own process (the deployed layout):
 * - status upkeep on ingest: batches of new documents synced with the status table kept (the earlier statuses
 *   read while the batch embeds, the outcomes written after the commit) and without it, taken in turn, in documents per second; at the deployed batch size
 *   (serverless.yml's ingestBatchSize, what a busy queue fills) and at a third of it;
 * - `GET /documents` (a page of 100) and `GET /documents/{key}` through the documents handler at 10,000 documents,
 *   against the same at 1,000 (the table grown in between).
 */
export async function benchDocuments(options: {
  embedder: string;
  sample: string;
  runs: number;
  row: (row: BenchRow) => void;
}): Promise<void> {
  const s3 = await startS3Process();
  // On AWS the ingest function has its own CPUs (2,048 MB buys about one vCPU) and S3 runs on none of them: here
  // the function gets one core and the S3 server another, where the machine has two and taskset works.
  const before = os.cpus().length >= 2 ? affinityOf(process.pid) : null;
  const separate = before !== null && pin(s3.pid, String(os.cpus().length - 1)) && pin(process.pid, '0');
  const layout = separate ? 'one core, the local S3 server on another' : 'local S3 sharing its cores';
  try {
    const storageOptions = lanceStorageOptions({
      region: 'us-east-1',
      s3Endpoint: s3.endpoint,
      accessKeyId: s3.credentials.accessKeyId,
      secretAccessKey: s3.credentials.secretAccessKey,
    });
    for (const batchSize of [DEPLOYED_BATCH, 16]) await upkeep({ ...options, batchSize, layout }, storageOptions);
    await listing(options, s3, storageOptions);
  } finally {
    if (separate) pin(process.pid, before);
    await s3.close();
  }
}

/** serverless.yml's ingestBatchSize: the most messages (one document each) an ingest invocation gets. */
export const DEPLOYED_BATCH = 50;

async function upkeep(
  options: {
    embedder: string;
    sample: string;
    runs: number;
    batchSize: number;
    layout: string;
    row: (row: BenchRow) => void;
  },
  storageOptions: Record<string, string>,
): Promise<void> {
  const embedder = await TransformersEmbedder.create({ model: options.embedder, dtype: 'int8' });
  const open = (table: string) =>
    LanceStore.open({
      uri: 's3://vectors/lancedb',
      table,
      embeddingModel: embedder.modelId,
      dimension: embedder.dimension,
      metric: 'cosine',
      storageOptions,
    });
  const base = (store: LanceStore): IngestDeps => ({
    store,
    embedder,
    log: silentLog,
    extract: extractText,
    rules: { extensions: ['.txt'], maxBytes: 4 * 1024 * 1024 },
    split: { chunkSize: 500, chunkOverlap: 100 },
  });
  const kept = {
    ...base(await open(`kept${options.batchSize}`)),
    statuses: await LanceStatusStore.open({
      uri: 's3://vectors/lancedb',
      table: `kept${options.batchSize}`,
      embeddingModel: embedder.modelId,
      metric: 'cosine',
      storageOptions,
    }),
  };
  const without = base(await open(`without${options.batchSize}`));
  // ~1,500-character documents (3–4 chunks), new names every batch: each batch embeds, commits and records.
  let n = 0;
  const corpus = new Map<string, DocumentContent>();
  const reader: DocumentReader = {
    read: async (name) => corpus.get(name) ?? null,
    version: async (name) => corpus.get(name)?.version ?? null,
  };
  const batch = (deps: IngestDeps, tenant: string) => async () => {
    const names = Array.from({ length: options.batchSize }, () => {
      const i = n++;
      const start = (i * 977) % (options.sample.length - 1600);
      const name = `docs/${tenant}/d${i}.txt`;
      corpus.set(name, {
        bytes: new TextEncoder().encode(`${options.sample.slice(start, start + 1500)} ${i}`),
        version: `v${i}`,
        userMetadata: {},
        sidecar: null,
      });
      return name;
    });
    const results = await syncDocuments(names, reader, deps);
    if (results.some((r) => r.action !== 'indexed')) throw new Error(`not indexed: ${JSON.stringify(results[0])}`);
  };
  const paired = await timePaired(batch(kept, 'kept'), batch(without, 'without'), Math.max(21, options.runs));
  const { first: withStatuses, second: alone, extra } = paired;
  const rate = (ms: number) => ((options.batchSize * 1000) / ms).toFixed(1);
  const signed = (n: number) => `${n >= 0 ? '+' : ''}${n.toFixed(1)}`;
  options.row({
    benchmark: `status upkeep on ingest (${options.embedder}, batches of ${options.batchSize} ~1.5 KB documents${options.batchSize === DEPLOYED_BATCH ? ' (the deployed batch size)' : ''}, LanceDB on local S3; ${options.layout})`,
    ours: `${rate(withStatuses.median)} docs/s, ${formatTiming(withStatuses)} per batch with statuses`,
    baseline: `${rate(alone.median)} docs/s, ${formatTiming(alone)} per batch without`,
    ratio: `${signed(extra.median)} % time (pairs' middle half ${signed(extra.p25)} to ${signed(extra.p75)} %)`,
    detail: { ours: withStatuses, baseline: alone, extraPercent: extra, batch: options.batchSize },
  });
}

type Handler = (event: unknown, context: unknown) => Promise<{ statusCode: number; body: string }>;

async function listing(
  options: { runs: number; row: (row: BenchRow) => void },
  s3: { endpoint: string; credentials: { accessKeyId: string; secretAccessKey: string } },
  storageOptions: Record<string, string>,
): Promise<void> {
  Object.assign(process.env, {
    VECTOR_DB_URI: 's3://vectors/lancedb',
    VECTOR_TABLE: 'listed',
    S3_ENDPOINT: s3.endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: s3.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey,
    POWERTOOLS_LOG_LEVEL: 'CRITICAL',
    POWERTOOLS_METRICS_DISABLED: 'true',
  });
  const statuses = await LanceStatusStore.open({
    uri: 's3://vectors/lancedb',
    table: 'listed',
    embeddingModel: 'none',
    metric: 'cosine',
    storageOptions,
  });
  const handler = (await import('../functions/documents/handler.js')).handler as unknown as Handler;
  const context = { functionName: 'documents', awsRequestId: 'bench', getRemainingTimeInMillis: () => 29_000 };
  const get =
    (rawPath: string, query?: Record<string, string>, answer = false) =>
    async () => {
      const event = {
        version: '2.0',
        rawPath,
        queryStringParameters: query,
        headers: {},
        requestContext: { requestId: 'bench', http: { method: 'GET', path: rawPath } },
      };
      const res = await handler(event, context);
      if (res.statusCode !== 200) throw new Error(`${rawPath}: ${res.statusCode} ${res.body}`);
      return answer ? (JSON.parse(res.body) as { documents: DocumentStatus[] }) : undefined;
    };
  // The timed page must be the real one: every document as recorded, none read as pending or deleting.
  const expectIndexed = async (page: Promise<{ documents: DocumentStatus[] } | undefined>) => {
    const { documents } = (await page)!;
    if (documents.length !== 100 || documents.some((d) => d.status !== 'indexed' && d.status !== 'failed'))
      throw new Error(`the list does not answer the seeded statuses: ${JSON.stringify(documents[0])}`);
  };
  // Ten tenants, 100 documents each per thousand, written a thousand per commit as ingestion batches would; each is
  // in the documents bucket too, at the version its status reflects (the handler compares the two).
  const client = createS3Client({ region: 'us-east-1', endpoint: s3.endpoint });
  const sourceOf = (i: number) => `docs/t${i % 10}/doc-${String(i).padStart(6, '0')}.pdf`;
  const bodyOf = (i: number) => `document ${i}`;
  const seed = async (from: number, to: number) => {
    for (let start = from; start < to; start += 1000) {
      const count = Math.min(1000, to - start);
      for (let k = 0; k < count; k += 16)
        await Promise.all(
          Array.from({ length: Math.min(16, count - k) }, (_, j) =>
            client.send(
              new PutObjectCommand({ Bucket: 'documents', Key: sourceOf(start + k + j), Body: bodyOf(start + k + j) }),
            ),
          ),
        );
      const rows = Array.from({ length: count }, (_, j): DocumentStatus => {
        const i = start + j;
        return {
          source: sourceOf(i),
          status: i % 50 === 0 ? 'failed' : 'indexed',
          reason: i % 50 === 0 ? 'PDF is damaged' : null,
          chunks: 12,
          bytes: 50_000,
          contentHash: 'a'.repeat(64),
          contentType: 'application/pdf',
          tenant: `t${i % 10}`,
          metadata: { year: 2000 + (i % 25) },
          version: `"${createHash('md5').update(bodyOf(i)).digest('hex')}"|-`,
          updatedAt: new Date().toISOString(),
        };
      });
      await statuses.record(rows);
    }
  };
  const measure = async (count: number) => {
    await expectIndexed(get('/documents', { limit: '100' }, true)());
    const [page, one] = await timeInterleaved(
      [get('/documents', { limit: '100' }), get(`/documents/docs/t3/doc-${String(count - 7).padStart(6, '0')}.pdf`)],
      options.runs,
    );
    return { page: page!, one: one! };
  };
  await seed(0, 1000);
  const small = await measure(1000);
  await seed(1000, 10_000);
  const large = await measure(10_000);
  const failed = await time(get('/documents', { status: 'failed', limit: '100' }), options.runs);
  // As the hourly maintenance leaves the table: one fragment, source_id indexed.
  await statuses.optimize();
  const maintained = await measure(10_000);
  options.row({
    benchmark: 'GET /documents (page of 100) through the documents handler, 10,000 documents',
    ours: `${formatTiming(large.page)} at 10,000 (${formatTiming(maintained.page)} maintained); status=failed ${formatTiming(failed)}`,
    baseline: `${formatTiming(small.page)} at 1,000`,
    ratio: `${(large.page.median / small.page.median).toFixed(1)}x time for 10x documents`,
    detail: { ours: large.page, maintained: maintained.page, baseline: small.page, failed },
  });
  options.row({
    benchmark: 'GET /documents/{key} through the documents handler, 10,000 documents',
    ours: `${formatTiming(large.one)} at 10,000 (${formatTiming(maintained.one)} maintained)`,
    baseline: `${formatTiming(small.one)} at 1,000`,
    ratio: `${(large.one.median / small.one.median).toFixed(1)}x time for 10x documents`,
    detail: { ours: large.one, maintained: maintained.one, baseline: small.one },
  });
}
