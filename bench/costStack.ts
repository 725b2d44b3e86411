import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { documentText, loadBeir } from '../evaluation/beir.js';
import type { S3RequestCounts } from '../local/s3Requests.js';
import type { ScoringPoolStats } from '../local/scoringPool.js';
import type { IngestQueueStats } from '../local/ingestQueue.js';
import { StackProcess, until } from '../test/stack.js';
import type { IngestMeasurement, S3Requests } from './costModel.js';
import type { BenchRow } from './stats.js';

export interface CostBenchOptions {
  modelsDir: string;
  embedder: string;
  crossEncoder: string;
  query: string;
  /** The sample document: it and a second one give each stack over 100 chunks. */
  sample: string;
  /** A BEIR folder whose documents are ingested for the per-document figures; generated documents without one. */
  beir?: string;
  documents: number;
  runs: number;
  row: (row: BenchRow) => void;
}

/** Memory sizes serverless.yml deploys: the provider's, and each function's own where it sets one. */
export function memorySizes(): Record<'query' | 'ingest' | 'score' | 'maintain', number> {
  // CloudFormation's !Ref and !GetAtt mean nothing here: only the memory sizes are read.
  const yml = parse(readFileSync('serverless.yml', 'utf8'), { logLevel: 'error' }) as {
    params: { default: Record<string, unknown> };
    provider: { memorySize: number };
    functions: Record<string, { memorySize?: number | string }>;
  };
  const of = (name: string): number => {
    const value = yml.functions[name]?.memorySize ?? yml.provider.memorySize;
    const param = typeof value === 'string' ? /^\$\{param:(\w+)\}$/.exec(value)?.[1] : undefined;
    return Number(param ? yml.params.default[param] : value);
  };
  return { query: of('query'), ingest: of('ingest'), score: of('score'), maintain: of('maintain') };
}

export interface Stack {
  name: string;
  process: StackProcess;
  http: string;
  lambda: string;
  s3: string;
  scoring?: string;
  dataDir: string;
}

export function startStack(name: string, base: number, env: Record<string, string>, options: CostBenchOptions): Stack {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), `bench-cost-${name}-`));
  const ports = { S3_PORT: base + 1, HTTP_PORT: base + 2, LAMBDA_PORT: base + 3, ENDPOINT_PORT: base + 4 };
  const process = new StackProcess(
    {
      S3_PORT: String(ports.S3_PORT),
      HTTP_PORT: String(ports.HTTP_PORT),
      LAMBDA_PORT: String(ports.LAMBDA_PORT),
      ENDPOINT_PORT: String(ports.ENDPOINT_PORT),
      STACK_DATA_DIR: dataDir,
    },
    {
      MODELS_DIR: options.modelsDir,
      EMBEDDING_MODEL: options.embedder,
      RERANKER_MODEL: options.crossEncoder,
      RERANKER_DTYPE: 'int8',
      RERANK_BACKEND: 'local',
      SCORING_PORT: String(base + 5),
      ...env,
    },
  );
  const url = (port: number) => `http://127.0.0.1:${port}`;
  return {
    name,
    process,
    http: url(ports.HTTP_PORT),
    lambda: url(ports.LAMBDA_PORT),
    s3: url(ports.S3_PORT),
    scoring: env.RERANK_FANOUT !== '1' ? url(base + 5) : undefined,
    dataDir,
  };
}

export const getJson = async <T>(url: string): Promise<T> => (await (await fetch(url)).json()) as T;
export const s3Counts = (stack: Stack) => getJson<S3RequestCounts>(`${stack.s3}/_local/requests`);
export const poolStats = async (stack: Stack): Promise<ScoringPoolStats> =>
  stack.scoring
    ? getJson<ScoringPoolStats>(`${stack.scoring}/_local/stats`)
    : { invocations: 0, billedMs: 0, errors: 0 };
export const ingestStats = (stack: Stack) =>
  getJson<IngestQueueStats & { pending: number }>(`${stack.lambda}/_local/ingest-stats`);

/** Requests of one bucket (or all) between two counts, by price class. */
export function s3Delta(before: S3RequestCounts, after: S3RequestCounts, buckets?: string[]): S3Requests {
  const total: S3Requests = { put: 0, get: 0 };
  for (const [bucket, counts] of Object.entries(after)) {
    if (buckets && !buckets.includes(bucket)) continue;
    const was = before[bucket] ?? { put: 0, list: 0, get: 0, delete: 0 };
    total.put += counts.put - was.put + (counts.list - was.list);
    total.get += counts.get - was.get;
  }
  return total;
}

export interface Answer {
  ms: number;
  results: { text: string }[];
  /** The query function's own account: rerank and total milliseconds. */
  timings: { rerank: number; total: number };
}

export async function ask(stack: Stack, body: object): Promise<Answer> {
  const start = performance.now();
  const res = await fetch(`${stack.http}/query`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(60_000),
  });
  const answer = (await res.json()) as Partial<Answer> & { reranked?: boolean };
  const ms = performance.now() - start;
  if (res.status !== 200 || !answer.reranked) throw new Error(`${stack.name}: /query answered ${res.status}`);
  return { ms, results: answer.results ?? [], timings: answer.timings ?? { rerank: 0, total: 0 } };
}

export async function upload(stack: Stack, key: string, body: string): Promise<void> {
  const res = await fetch(`${stack.s3}/documents/${key}`, { method: 'PUT', body });
  if (res.status !== 200) throw new Error(`${stack.name}: upload of ${key} answered ${res.status}`);
}

export async function storedBytes(stack: Stack): Promise<number> {
  const client = new S3Client({
    endpoint: stack.s3,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  });
  let bytes = 0;
  let token: string | undefined;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: 'vectors', ContinuationToken: token }));
    for (const object of page.Contents ?? []) bytes += object.Size ?? 0;
    token = page.NextContinuationToken;
  } while (token);
  client.destroy();
  return bytes;
}

/** The stacks' shared query corpus: the sample and a second document, over 100 chunks together. */
export function queryCorpus(sample: string): [string, string][] {
  const second = Array.from(
    { length: 40 },
    (_, i) => `Paragraph ${i}: the budget for roads, ports and schools in district ${i} grows with the economy.`,
  ).join('\n\n');
  return [
    ['docs/sotu.txt', sample],
    ['docs/budget.txt', second.repeat(3)],
  ];
}

export function ingestCorpus(options: CostBenchOptions): { key: string; text: string }[] {
  if (options.beir) {
    return loadBeir(options.beir)
      .corpus.slice(0, options.documents)
      .map((d, i) => ({ key: `docs/ingest/${i}.txt`, text: documentText(d) }));
  }
  return Array.from({ length: options.documents }, (_, i) => ({
    key: `docs/ingest/${i}.txt`,
    text: `${options.sample.slice((i * 997) % 30_000, ((i * 997) % 30_000) + 2000)}\n${i}`,
  }));
}

/** Ingest of the ArguAna sample through the stack's queue: invocations, billed time, SQS and S3 requests, bytes stored. */
export async function measureIngest(
  on: Stack,
  options: CostBenchOptions,
  memoryMb: number,
): Promise<IngestMeasurement> {
  const corpus = ingestCorpus(options);
  // The table's size is read by listing it: before the counts start, and after they end, so those LISTs are not
  // counted as the ingest's.
  const bytesBefore = await storedBytes(on);
  const [queueBefore, s3Before] = await Promise.all([ingestStats(on), s3Counts(on)]);
  for (let i = 0; i < corpus.length; i += 8) {
    await Promise.all(corpus.slice(i, i + 8).map((d) => upload(on, d.key, d.text)));
  }
  await until(
    async () => {
      const stats = await ingestStats(on);
      return stats.sent - queueBefore.sent >= corpus.length && stats.pending === 0 ? stats : undefined;
    },
    900_000,
    () => `ingest of ${corpus.length} documents:\n${on.process.output.slice(-2000)}`,
  );
  const [queueAfter, s3After] = await Promise.all([ingestStats(on), s3Counts(on)]);
  const bytesAfter = await storedBytes(on);
  const ingest: IngestMeasurement = {
    documents: corpus.length,
    characters: corpus.reduce((n, d) => n + d.text.length, 0),
    ingest: {
      count: queueAfter.invocations - queueBefore.invocations,
      billedMs: queueAfter.billedMs - queueBefore.billedMs,
      memoryMb,
    },
    sqsRequests:
      queueAfter.sent -
      queueBefore.sent +
      (queueAfter.receives - queueBefore.receives) +
      (queueAfter.deletes - queueBefore.deletes),
    s3: s3Delta(s3Before, s3After),
    storedBytes: bytesAfter - bytesBefore,
  };
  return ingest;
}
