import { rmSync } from 'node:fs';
import os from 'node:os';
import { until } from '../test/stack.js';
import {
  type Architecture,
  comparisons,
  idleMonthCost,
  ingestCost,
  perGigabyteOfText,
  type Prices,
  type QueryMeasurement,
  queryCost,
  type S3Requests,
} from './costModel.js';
import { formatTiming, summarize } from './stats.js';
import {
  type CostBenchOptions,
  memorySizes,
  type Stack,
  startStack,
  s3Counts,
  poolStats,
  s3Delta,
  ask,
  upload,
  storedBytes,
  queryCorpus,
  measureIngest,
} from './costStack.js';

const ARCHITECTURES: Architecture[] = ['x86_64', 'arm64'];
/** Lambda's SQS event source mapping keeps pollers long-polling an empty queue (20 s each); AWS starts with 5. */
const SQS_POLLS_PER_MONTH = 5 * ((730 * 3600) / 20);
const usd = (n: number) => (n >= 100 ? `$${n.toFixed(0)}` : n >= 1 ? `$${n.toFixed(2)}` : `$${n.toPrecision(2)}`);

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
    const ingest = await measureIngest(on, options, memory.ingest);

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
