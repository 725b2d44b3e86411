import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { extractText } from '../shared/adapters/extract/index.js';
import type { SQSEvent } from 'aws-lambda';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sqsRecord } from '../local/ingestQueue.js';
import { documentText, loadBeir } from '../evaluation/beir.js';
import { startLocalS3 } from '../local/s3Server.js';
import { syncInBatches } from '../shared/pipeline/ingest/bulkIngest.js';
import { TransformersEmbedder } from '../shared/adapters/transformers/embedder.js';
import { FileDocumentReader } from '../shared/adapters/fs/fileDocuments.js';
import { silentLog } from '../shared/pipeline/log.js';
import { LanceStore } from '../shared/adapters/lancedb/lanceStore.js';
import { type BenchRow, summarize, type Timing } from './stats.js';
import { lanceStorageOptions } from '../shared/adapters/lancedb/options.js';
import type { SyncResult } from '../shared/pipeline/ingest/batchCommit.js';

export interface GrowthBenchOptions {
  /** A BEIR folder (corpus.jsonl) whose first `documents` documents are ingested; else generated documents. */
  beir?: string;
  documents: number;
  /** Embedding model: a small one, so the store's share of the cost shows. */
  embedder: string;
  modelsDir?: string;
  /** Documents in one-commit-per-document baseline of the Lambda path. */
  baselineDocuments: number;
  row: (row: BenchRow) => void;
}

interface Doc {
  id: string;
  text: string;
}

function loadDocuments(options: GrowthBenchOptions): Doc[] {
  if (options.beir) {
    const corpus = loadBeir(options.beir).corpus.slice(0, options.documents);
    return corpus.map((d) => ({ id: d.id, text: documentText(d) }));
  }
  const words = 'inflation bridges jobs energy vaccines chips ports housing childcare taxes'.split(' ');
  return Array.from({ length: options.documents }, (_, i) => {
    let text = `Document ${i}.`;
    for (let w = 0; text.length < 1000 + ((i * 37) % 1000); w++) text += ` ${words[(i + w * 7) % words.length]}`;
    return { id: `doc-${i}`, text };
  });
}

/** Per-document milliseconds in each fifth of a run, from (documents, ms) of its batches in order. */
function perFifth(batches: { documents: number; ms: number }[], total: number): number[] {
  const fifths = [0, 0, 0, 0, 0].map(() => ({ documents: 0, ms: 0 }));
  let done = 0;
  for (const batch of batches) {
    const fifth = fifths[Math.min(4, Math.floor((done * 5) / total))]!;
    fifth.documents += batch.documents;
    fifth.ms += batch.ms;
    done += batch.documents;
  }
  return fifths.map((f) => Math.round((f.ms / Math.max(1, f.documents)) * 100) / 100);
}

/** Vector searches of a fixed query vector: the query cost as the table grows. */
async function searchTimes(store: LanceStore, vector: number[], runs: number): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await store.search(vector, { limit: 20 });
    samples.push(performance.now() - start);
  }
  return samples;
}

interface PathRun {
  fifths: number[];
  docsPerSecond: number;
  during: Timing;
  after: Timing;
  compacted: Timing;
  fragments: number;
}

/**
 * Runs `ingestAll` (which calls `onBatch` after each batch) while timing one search after every batch; then
 * searches the table as the run left it and once more after a full compaction.
 */
async function measure(
  total: number,
  store: () => Promise<LanceStore>,
  vector: number[],
  ingestAll: (onBatch: (documents: number) => Promise<void>) => Promise<void>,
): Promise<PathRun> {
  const batches: { documents: number; ms: number }[] = [];
  const during: number[] = [];
  let last = performance.now();
  await ingestAll(async (documents) => {
    batches.push({ documents, ms: performance.now() - last });
    during.push(...(await searchTimes(await store(), vector, 1)));
    last = performance.now();
  });
  const ingestMs = batches.reduce((n, b) => n + b.ms, 0);
  const table = await store();
  const after = summarize(await searchTimes(table, vector, 51));
  const fragments = await table.fragments();
  await table.optimize(0);
  const compacted = summarize(await searchTimes(table, vector, 51));
  return {
    fifths: perFifth(batches, total),
    docsPerSecond: Math.round((total / ingestMs) * 1000 * 10) / 10,
    during: summarize(during),
    after,
    compacted,
    fragments,
  };
}

/**
 * How ingest cost and search latency grow with the table: N documents through the CLI path (files, batches
 * of 64, compaction as fragments pile up and at the end) and through the batched Lambda path (the ingest
 * handler with SQS batches of 50 messages, documents in the local S3 server, LanceDB on s3://), against the
 * same handler fed one message per invocation (one commit per document, as before queue batching).
 */
export async function benchGrowth(options: GrowthBenchOptions): Promise<void> {
  const docs = loadDocuments(options);
  const total = docs.length;
  const work = mkdtempSync(path.join(os.tmpdir(), 'bench-growth-'));
  const s3 = await startLocalS3({ buckets: ['documents', 'vectors'] });
  try {
    const embedder = await TransformersEmbedder.create({ model: options.embedder });
    const vector = await embedder.embedQuery('Should governments fund the arts?');
    const deps = (store: LanceStore) => ({
      store,
      embedder,
      log: silentLog,
      extract: extractText,
      rules: { extensions: ['.txt'], maxBytes: 4 * 1024 * 1024 },
      split: { chunkSize: 500, chunkOverlap: 100 },
    });

    // CLI path: files on disk → syncInBatches → a local LanceDB folder, compacted at the end like the CLI.
    const folder = path.join(work, 'files');
    mkdirSync(folder);
    const files = docs.map((d) => {
      const file = path.join(folder, `${d.id.replace(/[^\w.-]/g, '_')}.txt`);
      writeFileSync(file, d.text);
      return file;
    });
    const cliStore = await LanceStore.open({
      uri: path.join(work, 'cli-db'),
      embeddingModel: embedder.modelId,
      dimension: embedder.dimension,
      metric: 'cosine',
    });
    const cli = await measure(
      total,
      async () => cliStore,
      vector,
      async (onBatch) => {
        await syncInBatches(files, new FileDocumentReader(), deps(cliStore), {
          onBatch: (batch: SyncResult[]) => onBatch(batch.length),
        });
      },
    );

    // Lambda path: the ingest handler itself, on SQS batches of S3 notifications.
    const client = new S3Client({
      endpoint: s3.endpoint,
      forcePathStyle: true,
      region: 'us-east-1',
      credentials: s3.credentials,
    });
    const keys = docs.map((d) => `docs/${d.id.replace(/[^\w.-]/g, '_')}.txt`);
    for (let i = 0; i < docs.length; i += 16) {
      await Promise.all(
        docs
          .slice(i, i + 16)
          .map((d, j) => client.send(new PutObjectCommand({ Bucket: 'documents', Key: keys[i + j]!, Body: d.text }))),
      );
    }
    const env = {
      MODELS_DIR: options.modelsDir ?? '',
      ALLOW_REMOTE_MODELS: options.modelsDir ? 'false' : 'true',
      EMBEDDING_MODEL: options.embedder,
      S3_ENDPOINT: s3.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: s3.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey,
      POWERTOOLS_LOG_LEVEL: 'ERROR',
      POWERTOOLS_METRICS_DISABLED: 'true',
    };
    Object.assign(process.env, env);
    const importHandler = async (table: string) => {
      process.env.VECTOR_DB_URI = `s3://vectors/${table}`;
      // A fresh module per table: the handler reads its configuration at import.
      const module = (await import(`../functions/ingest/handler.js?table=${table}`)) as {
        handler: (event: SQSEvent, context: unknown) => Promise<unknown>;
      };
      return module.handler;
    };
    const context = { awsRequestId: 'bench', functionName: 'ingest', getRemainingTimeInMillis: () => 900_000 };
    const sqsEvent = (batch: string[]): SQSEvent => ({
      Records: batch.map((key, i) => {
        const s3Key = encodeURIComponent(key).replace(/%2F/g, '/');
        const record = {
          eventName: 'ObjectCreated:Put',
          s3: { bucket: { name: 'documents' }, object: { key: s3Key } },
        };
        return sqsRecord({ messageId: `m-${i}`, body: JSON.stringify({ Records: [record] }) });
      }),
    });
    const s3Table = (table: string) => () =>
      LanceStore.open({
        uri: `s3://vectors/${table}`,
        embeddingModel: embedder.modelId,
        metric: 'cosine',
        storageOptions: lanceStorageOptions({
          region: 'us-east-1',
          s3Endpoint: s3.endpoint,
          accessKeyId: s3.credentials.accessKeyId,
          secretAccessKey: s3.credentials.secretAccessKey,
        }),
      });
    const viaHandler = async (table: string, batchSize: number, count: number) => {
      const handler = await importHandler(table);
      // A warm container: models loaded and the table created before the clock starts (one extra document).
      await client.send(new PutObjectCommand({ Bucket: 'documents', Key: 'docs/warm-up.txt', Body: 'Warm-up.' }));
      await handler(sqsEvent(['docs/warm-up.txt']), context);
      let reader: LanceStore | undefined;
      return measure(
        count,
        async () => (reader ??= await s3Table(table)()),
        vector,
        async (onBatch) => {
          for (let i = 0; i < count; i += batchSize) {
            const batch = keys.slice(i, Math.min(count, i + batchSize));
            const response = (await handler(sqsEvent(batch), context)) as { batchItemFailures: unknown[] };
            if (response.batchItemFailures.length > 0) throw new Error(`batch at ${i} reported failures`);
            await onBatch(batch.length);
          }
        },
      );
    };
    const lambda = await viaHandler('batched', 50, total);
    const single = await viaHandler('single', 1, Math.min(total, options.baselineDocuments));

    const fifths = (run: PathRun) => run.fifths.join(' / ');
    const growth = (run: PathRun) => Math.round((run.fifths[4]! / run.fifths[0]!) * 100) / 100;
    const label = `${total} ${options.beir ? path.basename(options.beir) : 'generated'} documents, ${options.embedder}`;
    for (const [name, run] of [
      ['CLI (batches of 64)', cli],
      ['Lambda (SQS batches of 50)', lambda],
    ] as const) {
      options.row({
        benchmark: `ingest growth: ${name}, ${label}`,
        ours: `last fifth ${run.fifths[4]} ms/doc (fifths ${fifths(run)}); ${run.docsPerSecond} docs/s`,
        baseline: `first fifth ${run.fifths[0]} ms/doc`,
        ratio: `${growth(run)}x last/first`,
        detail: { ...run },
      });
      options.row({
        benchmark: `vector search after ${name} (${run.fragments} fragments)`,
        ours: `p50 ${run.after.median} ms after the run (p50 ${run.during.median} ms during it)`,
        baseline: `p50 ${run.compacted.median} ms freshly compacted`,
        ratio: `${Math.round((run.after.median / run.compacted.median) * 100) / 100}x of compacted`,
        detail: { during: run.during, after: run.after, compacted: run.compacted, fragments: run.fragments },
      });
    }
    options.row({
      benchmark: `Lambda path throughput, ${label}`,
      ours: `${lambda.docsPerSecond} docs/s with SQS batches of 50 (${total} documents)`,
      baseline: `${single.docsPerSecond} docs/s one message (one commit) per invocation (first ${Math.min(total, options.baselineDocuments)} documents; fifths ${fifths(single)} ms/doc)`,
      ratio: `${Math.round((lambda.docsPerSecond / single.docsPerSecond) * 10) / 10}x`,
      detail: { batched: lambda, single },
    });
    client.destroy();
  } finally {
    await s3.close();
    rmSync(work, { recursive: true, force: true });
  }
}

export const defaultBeir = (): string | undefined => {
  const arguana = path.resolve('..', 'shared', 'datasets', 'arguana');
  return existsSync(path.join(arguana, 'corpus.jsonl')) ? arguana : undefined;
};
