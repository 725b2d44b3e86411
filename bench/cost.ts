import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { documentText, loadBeir } from '../evaluation/beir.js';
import type { S3RequestCounts } from '../local/s3Server.js';
import type { ScoringPoolStats } from '../local/scoringPool.js';
import type { IngestQueueStats } from '../local/ingestQueue.js';
import { StackProcess, until } from '../test/stack.js';
import {
  type Architecture,
  comparisons,
  idleMonthCost,
  ingestCost,
  type IngestMeasurement,
  perGigabyteOfText,
  type Prices,
  type QueryMeasurement,
  queryCost,
  type S3Requests,
} from './costModel.js';
import { type BenchRow, formatTiming, summarize } from './stats.js';

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

const ARCHITECTURES: Architecture[] = ['x86_64', 'arm64'];
/** Lambda's SQS event source mapping keeps pollers long-polling an empty queue (20 s each); AWS starts with 5. */
const SQS_POLLS_PER_MONTH = 5 * ((730 * 3600) / 20);
const usd = (n: number) => (n >= 100 ? `$${n.toFixed(0)}` : n >= 1 ? `$${n.toFixed(2)}` : `$${n.toPrecision(2)}`);

/** Memory sizes serverless.yml deploys: the provider's, and each function's own where it sets one. */
function memorySizes(): Record<'query' | 'ingest' | 'score' | 'maintain', number> {
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

interface Stack {
  name: string;
  process: StackProcess;
  http: string;
  lambda: string;
  s3: string;
  scoring?: string;
  dataDir: string;
}

function startStack(name: string, base: number, env: Record<string, string>, options: CostBenchOptions): Stack {
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

const getJson = async <T>(url: string): Promise<T> => (await (await fetch(url)).json()) as T;
const s3Counts = (stack: Stack) => getJson<S3RequestCounts>(`${stack.s3}/_local/requests`);
const poolStats = async (stack: Stack): Promise<ScoringPoolStats> =>
  stack.scoring
    ? getJson<ScoringPoolStats>(`${stack.scoring}/_local/stats`)
    : { invocations: 0, billedMs: 0, errors: 0 };
const ingestStats = (stack: Stack) =>
  getJson<IngestQueueStats & { pending: number }>(`${stack.lambda}/_local/ingest-stats`);

/** Requests of one bucket (or all) between two counts, by price class. */
function s3Delta(before: S3RequestCounts, after: S3RequestCounts, buckets?: string[]): S3Requests {
  const total: S3Requests = { put: 0, get: 0 };
  for (const [bucket, counts] of Object.entries(after)) {
    if (buckets && !buckets.includes(bucket)) continue;
    const was = before[bucket] ?? { put: 0, list: 0, get: 0, delete: 0 };
    total.put += counts.put - was.put + (counts.list - was.list);
    total.get += counts.get - was.get;
  }
  return total;
}

interface Answer {
  ms: number;
  results: { text: string }[];
  /** The query function's own account: rerank and total milliseconds. */
  timings: { rerank: number; total: number };
}

async function ask(stack: Stack, body: object): Promise<Answer> {
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

async function upload(stack: Stack, key: string, body: string): Promise<void> {
  const res = await fetch(`${stack.s3}/documents/${key}`, { method: 'PUT', body });
  if (res.status !== 200) throw new Error(`${stack.name}: upload of ${key} answered ${res.status}`);
}

async function storedBytes(stack: Stack): Promise<number> {
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
function queryCorpus(sample: string): [string, string][] {
  const second = Array.from(
    { length: 40 },
    (_, i) => `Paragraph ${i}: the budget for roads, ports and schools in district ${i} grows with the economy.`,
  ).join('\n\n');
  return [
    ['docs/sotu.txt', sample],
    ['docs/budget.txt', second.repeat(3)],
  ];
}

function ingestCorpus(options: CostBenchOptions): { key: string; text: string }[] {
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

/**
 * Money, from measurements on two local stacks started side by side (fan-out on: RERANK_FANOUT=4 over four
 * scoring instances; off: RERANK_FANOUT=1), both with the in-Lambda cross-encoder: the query's duration (POST
 * /query round trip, an upper bound of the function's billed time), the scoring invocations' billed time (the
 * pool's), the S3 requests each query makes against LanceDB (counted by the local S3 server), and ingest's
 * invocations, SQS requests, S3 requests and stored bytes; priced with bench/prices.json for x86_64 and arm64.
 */
export async function benchCost(options: CostBenchOptions, prices: Prices): Promise<void> {
  const { runs, row, query } = options;
  const memory = memorySizes();
  const on = startStack('fan-out on', 47000, { RERANK_FANOUT: '4', RERANK_FANOUT_MIN_PAIRS: '25' }, options);
  const off = startStack('fan-out off', 47100, { RERANK_FANOUT: '1' }, options);
  const stacks = [on, off];
  try {
    await Promise.all(stacks.map((s) => s.process.waitFor(/Stack ready/, 300_000)));
    for (const stack of stacks) for (const [key, text] of queryCorpus(options.sample)) await upload(stack, key, text);
    for (const stack of stacks) {
      await until(
        async () => ((await ask(stack, { query, k: 100, topN: 100 })).results.length === 100 ? true : undefined),
        180_000,
        () => `${stack.name} searchable:\n${stack.process.output.slice(-2000)}`,
      );
    }

    // Queries, taken in turn over both stacks and both sizes; each stack's counters read around each query.
    const sizes = [20, 100] as const;
    const samples = new Map<
      string,
      { ms: number[]; outsideRerank: number[]; s3: S3Requests; scoring: { count: number; billedMs: number } }
    >();
    const keyOf = (stack: Stack, k: number) => `${stack.name} ${k}`;
    for (const stack of stacks)
      for (const k of sizes)
        samples.set(keyOf(stack, k), {
          ms: [],
          outsideRerank: [],
          s3: { put: 0, get: 0 },
          scoring: { count: 0, billedMs: 0 },
        });
    for (let run = -2; run < runs; run++) {
      for (const k of sizes) {
        for (const stack of stacks) {
          const [s3Before, poolBefore] = await Promise.all([s3Counts(stack), poolStats(stack)]);
          const { ms, timings: own } = await ask(stack, { query, k, topN: 5 });
          const [s3After, poolAfter] = await Promise.all([s3Counts(stack), poolStats(stack)]);
          if (run < 0) continue; // warm-up
          const sample = samples.get(keyOf(stack, k))!;
          sample.ms.push(ms);
          sample.outsideRerank.push(ms - own.rerank);
          const s3 = s3Delta(s3Before, s3After, ['vectors']);
          sample.s3.put += s3.put;
          sample.s3.get += s3.get;
          sample.scoring.count += poolAfter.invocations - poolBefore.invocations;
          sample.scoring.billedMs += poolAfter.billedMs - poolBefore.billedMs;
        }
      }
    }
    const timings = new Map([...samples].map(([key, s]) => [key, summarize(s.ms)]));
    for (const k of sizes) {
      const fanned = timings.get(keyOf(on, k))!;
      const plain = timings.get(keyOf(off, k))!;
      row({
        benchmark: `query end to end on the local stack, ${k} candidates (POST /query)`,
        ours: `${formatTiming(fanned)} fan-out on (4 scoring instances)`,
        baseline: `${formatTiming(plain)} fan-out off`,
        ratio: `${(plain.median / fanned.median).toFixed(2)}x`,
        detail: { k, fanOut: fanned, inProcess: plain },
      });
    }
    const ratio = (stack: Stack) => timings.get(keyOf(stack, 100))!.median / timings.get(keyOf(stack, 20))!.median;
    row({
      benchmark: 'query time, 100 candidates over 20 (target ≤ 2× with fan-out)',
      ours: `${ratio(on).toFixed(2)}× fan-out on`,
      baseline: `${ratio(off).toFixed(2)}× fan-out off`,
      ratio: ratio(on) <= 2 ? 'target met' : `target not met on ${os.availableParallelism()} CPUs`,
      detail: { on: ratio(on), off: ratio(off) },
    });

    // On Lambda every shard has a vCPU of its own; here four instances share this machine's. A shard's billed time
    // without that contention: one invocation at a time of a quarter of the 100 candidates, through the Invoke API.
    const candidates = (await ask(on, { query, k: 100, topN: 100 })).results.map((r) => r.text);
    const shard = { pairs: candidates.filter((_, i) => i % 4 === 0).map((text) => [query, text]) };
    let shardPoolBefore = await poolStats(on);
    const shardMs: number[] = [];
    for (let i = -2; i < runs; i++) {
      if (i === 0) shardPoolBefore = await poolStats(on); // the two warm-up calls are not billed below
      const start = performance.now();
      const res = await fetch(`${on.scoring}/2015-03-31/functions/rerank-pipeline-local-score/invocations`, {
        method: 'POST',
        body: JSON.stringify({ ...shard, deadline: Date.now() + 30_000 }),
      });
      if (res.headers.get('x-amz-function-error') || res.status !== 200) throw new Error(`shard: ${await res.text()}`);
      await res.text();
      if (i >= 0) shardMs.push(performance.now() - start);
    }
    const shardPoolAfter = await poolStats(on);
    const shardBilledMs =
      (shardPoolAfter.billedMs - shardPoolBefore.billedMs) / (shardPoolAfter.invocations - shardPoolBefore.invocations);
    const shardTiming = summarize(shardMs);
    const outside = (stack: Stack, k: number) => summarize(samples.get(keyOf(stack, k))!.outsideRerank).median;
    // The fanned-out query on Lambda: everything but the rerank as measured, plus one shard's round trip (the four
    // run at once), plus Lambda's own invoke latency, which cannot be measured here (not included).
    const projected100 = outside(on, 100) + shardTiming.median;
    const projected20 = timings.get(keyOf(on, 20))!.median;
    row({
      benchmark: 'one scoring invocation of 25 candidates, alone on a core (local Invoke API)',
      ours: `${formatTiming(shardTiming)} round trip, ${shardBilledMs.toFixed(0)} ms billed`,
      baseline: `${formatTiming(timings.get(keyOf(off, 100))!)} 100 candidates in one query, fan-out off`,
      ratio: `${(timings.get(keyOf(off, 100))!.median / shardTiming.median).toFixed(1)}x`,
      detail: { shardTiming, shardBilledMs },
    });
    row({
      benchmark: 'query time projected to Lambda (a vCPU per shard): 100 candidates over 20',
      ours: `${(projected100 / projected20).toFixed(2)}× (${projected100.toFixed(0)} ms vs ${projected20.toFixed(0)} ms) fan-out on`,
      baseline: `${ratio(off).toFixed(2)}× fan-out off (measured)`,
      ratio: projected100 / projected20 <= 2 ? 'target met (projected)' : 'target not met (projected)',
      detail: { projected100, projected20, outside100: outside(on, 100) },
    });

    // Ingest: documents uploaded to the fan-out stack, delivered by its queue to the ingest function.
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
        memoryMb: memory.ingest,
      },
      sqsRequests:
        queueAfter.sent -
        queueBefore.sent +
        (queueAfter.receives - queueBefore.receives) +
        (queueAfter.deletes - queueBefore.deletes),
      s3: s3Delta(s3Before, s3After),
      storedBytes: bytesAfter - bytesBefore,
    };

    // Upkeep: one run of the maintenance function (compaction, indexes), which the schedule runs hourly.
    const maintainS3Before = await s3Counts(on);
    const maintainStart = performance.now();
    const maintained = await fetch(`${on.lambda}/2015-03-31/functions/rerank-pipeline-local-maintain/invocations`, {
      method: 'POST',
      body: '{}',
    });
    await maintained.text();
    const maintainMs = Math.ceil(performance.now() - maintainStart);
    const maintainS3 = s3Delta(maintainS3Before, await s3Counts(on));
    const stored = await storedBytes(on);

    // The table, by architecture.
    const compare = comparisons(prices);
    const table: Record<string, string>[] = [];
    const perMillion: Record<string, number> = {};
    for (const arch of ARCHITECTURES) {
      for (const k of sizes) {
        for (const stack of stacks) {
          const s = samples.get(keyOf(stack, k))!;
          const measured: QueryMeasurement = {
            query: { count: s.ms.length, billedMs: s.ms.reduce((a, b) => a + Math.ceil(b), 0), memoryMb: memory.query },
            scoring: { ...s.scoring, memoryMb: memory.score },
            s3: s.s3,
          };
          const cost = queryCost(measured, s.ms.length, prices, arch);
          const label = `1M queries, ${k} candidates, ${stack.name}, ${arch}`;
          perMillion[label] = cost.total * 1e6;
          table.push({
            item: label,
            cost: usd(cost.total * 1e6),
            parts: `query fn ${usd(cost.query * 1e6)}, scoring ${usd(cost.scoring * 1e6)}, API ${usd(cost.api * 1e6)}, S3 ${usd(cost.s3 * 1e6)} (${(s.s3.get / s.ms.length).toFixed(1)} GET + ${(s.s3.put / s.ms.length).toFixed(1)} PUT/LIST per query)`,
            versus: `${((cost.total * 1e6 * 100) / compare.coherePerMillion).toFixed(2)} % of Cohere Rerank`,
          });
        }
      }
      {
        const s = samples.get(keyOf(on, 100))!;
        const cost = queryCost(
          {
            query: { count: 1, billedMs: Math.ceil(projected100), memoryMb: memory.query },
            scoring: { count: 4, billedMs: 4 * Math.ceil(shardBilledMs), memoryMb: memory.score },
            s3: { put: s.s3.put / s.ms.length, get: s.s3.get / s.ms.length },
          },
          1,
          prices,
          arch,
        );
        const label = `1M queries, 100 candidates, fan-out on, ${arch}, projected to Lambda`;
        perMillion[label] = cost.total * 1e6;
        table.push({
          item: label,
          cost: usd(cost.total * 1e6),
          parts: `query fn ${usd(cost.query * 1e6)} (${projected100.toFixed(0)} ms), scoring ${usd(cost.scoring * 1e6)} (4 × ${shardBilledMs.toFixed(0)} ms at ${memory.score} MB), API ${usd(cost.api * 1e6)}, S3 ${usd(cost.s3 * 1e6)}`,
          versus: `${((cost.total * 1e6 * 100) / compare.coherePerMillion).toFixed(2)} % of Cohere Rerank`,
        });
      }
      const { perDocument, storagePerDocumentMonth } = ingestCost(ingest, prices, arch);
      table.push({
        item: `1,000 documents ingested, ${arch}`,
        cost: usd(perDocument * 1000),
        parts: `${ingest.ingest.count} invocations (${Math.round(ingest.ingest.billedMs / ingest.documents)} ms/doc at ${memory.ingest} MB), ${(ingest.sqsRequests / ingest.documents).toFixed(2)} SQS, ${(ingest.s3.put / ingest.documents).toFixed(1)} PUT/LIST + ${(ingest.s3.get / ingest.documents).toFixed(1)} GET per doc; stored ${Math.round(ingest.storedBytes / ingest.documents)} B/doc = ${usd(storagePerDocumentMonth * 1000)}/month per 1,000`,
        versus: '',
      });
      table.push({
        item: `1 GB of text ingested, ${arch}`,
        cost: usd(perGigabyteOfText(ingest, prices, arch)),
        parts: `scaled from ${ingest.characters.toLocaleString('en')} characters in ${ingest.documents} documents`,
        versus: '',
      });
      const idle = idleMonthCost(
        {
          maintain: { count: 1, billedMs: maintainMs, memoryMb: memory.maintain },
          maintainS3,
          sqsPollsPerMonth: SQS_POLLS_PER_MONTH,
          storedBytes: stored,
        },
        prices,
        arch,
      );
      table.push({
        item: `a month idle, ${arch}`,
        cost: usd(idle.total),
        parts: `$0 compute; hourly upkeep ${usd(idle.maintain)} (${maintainMs} ms, ${maintainS3.get} GET + ${maintainS3.put} PUT/LIST a run), queue pollers ${usd(idle.sqs)}, table ${usd(idle.storage)} (${(stored / 1024 ** 2).toFixed(1)} MB)`,
        versus: `OpenSearch Serverless ${usd(compare.openSearchIdleMonth)}/month idle`,
      });
    }
    table.push(
      { item: 'Cohere Rerank 3.5, 1M searches', cost: usd(compare.coherePerMillion), parts: 'list price', versus: '' },
      {
        item: 'Amazon Rerank 1.0, 1M queries',
        cost: usd(compare.amazonRerankPerMillion),
        parts: 'list price',
        versus: '',
      },
      {
        item: 'OpenSearch Serverless, a month (2 OCUs)',
        cost: usd(compare.openSearchIdleMonth),
        parts: 'before the first query',
        versus: '',
      },
      {
        item: `SageMaker ${prices.compare.sagemakerRealTime.instance} endpoint, a month`,
        cost: usd(compare.sagemakerMonth),
        parts: 'RERANK_BACKEND=sagemaker, always on',
        versus: '',
      },
    );
    const target = perMillion['1M queries, 100 candidates, fan-out on, x86_64, projected to Lambda']!;
    row({
      benchmark: 'cost per 1M queries at 100 candidates (target ≤ 1 % of Cohere Rerank: $20)',
      ours: `${usd(target)} fan-out on, x86_64, projected to Lambda (${usd(perMillion['1M queries, 100 candidates, fan-out on, x86_64']!)} as measured here)`,
      baseline: `${usd(perMillion['1M queries, 100 candidates, fan-out off, x86_64']!)} fan-out off`,
      ratio: target <= compare.coherePerMillion / 100 ? 'target met' : 'target not met',
      detail: {
        perMillion,
        ingest,
        maintainMs,
        maintainS3,
        stored,
        prices: { region: prices.region, date: prices.date },
      },
    });
    process.stdout.write(
      `\nCost (${prices.region} prices of ${prices.date}, bench/prices.json; measured ${new Date().toISOString().slice(0, 10)} on ${os.cpus()[0]?.model} ×${os.availableParallelism()}; arm64 at the same durations):\n`,
    );
    console.table(table);
  } finally {
    await Promise.all(stacks.map((s) => s.process.stop()));
    for (const s of stacks) rmSync(s.dataDir, { recursive: true, force: true });
  }
}
