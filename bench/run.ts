/**
 * npm run bench [-- --json] [--runs 11]
 *   [--only rerank,fanout,cost,query,ingest,cold,endpoint,rerank-api,growth,extraction,metadata,documents]
 *   [--docs 5000] [--beir <BEIR folder>]   (growth: documents to ingest, from the folder's corpus.jsonl; default
 *   ../shared/datasets/arguana when present, else generated documents)
 *   [--cost-docs 200]   (cost: documents ingested for the per-document figures, from the same BEIR folder)
 * Each figure is printed next to the baseline it is compared against, measured in the same run.
 * Models: MODELS_DIR (default ../shared/models when present) with minilm-embed / minilm-ce, the
 * MiniLM-L6-shaped fixtures; otherwise the hub models of the same shape.
 */
import { AutoModelForSequenceClassification, AutoTokenizer, pipeline } from '@xenova/transformers';
import { extractText } from '../shared/adapters/extract/index.js';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { TransformersEmbedder } from '../shared/adapters/transformers/embedder.js';
import { indexDocument } from '../shared/pipeline/ingest/ingest.js';
import { silentLog } from '../shared/pipeline/log.js';
import { configureModelHub } from '../shared/adapters/transformers/hub.js';
import { answerQuery } from '../shared/pipeline/query/query.js';
import { LocalCrossEncoder } from '../shared/adapters/transformers/localCrossEncoder.js';
import { splitText } from '../shared/pipeline/ingest/splitter.js';
import { LanceStore } from '../shared/adapters/lancedb/lanceStore.js';
import { benchExtraction } from './extraction.js';
import { benchCost } from './cost.js';
import type { Prices } from './costModel.js';
import { benchFanOut } from './fanout.js';
import { benchGrowth, defaultBeir } from './growth.js';
import { benchMetadata } from './metadata.js';
import { benchDocuments } from './documents.js';
import { benchRerankApi } from './rerankApi.js';
import { type BenchRow, formatTiming, time, type Timing } from './stats.js';
import { benchEndpointServer } from './endpoint.js';
import type { Pair } from '../shared/pipeline/ports.js';

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    runs: { type: 'string', default: '11' },
    only: { type: 'string' },
    docs: { type: 'string', default: '5000' },
    beir: { type: 'string' },
    'cost-docs': { type: 'string', default: '200' },
  },
});
const runs = Number(values.runs);
const only = values.only?.split(',');
const enabled = (name: string) => !only || only.includes(name);

const fixtures = path.resolve('..', 'shared', 'models');
const modelsDir = process.env.MODELS_DIR ?? (existsSync(fixtures) ? fixtures : undefined);
const local = modelsDir !== undefined && existsSync(path.join(modelsDir, 'minilm-ce'));
const EMBED = local ? 'minilm-embed' : 'Xenova/all-MiniLM-L6-v2';
const CE = local ? 'minilm-ce' : 'Xenova/ms-marco-MiniLM-L-6-v2';
configureModelHub({ dir: modelsDir, allowRemote: !local });

const QUERY = 'What is the plan for the economy?';
const sample = readFileSync(path.join('samples', 'state_of_the_union.txt'), 'utf8');

const rows: BenchRow[] = [];
const report = (benchmark: string, ours: Timing, baseline: Timing, oursLabel: string, baseLabel: string) =>
  rows.push({
    benchmark,
    ours: `${formatTiming(ours)} ${oursLabel}`,
    baseline: `${formatTiming(baseline)} ${baseLabel}`,
    ratio: `${(baseline.median / ours.median).toFixed(1)}x`,
    detail: { ours, baseline },
  });

/** Candidates as the pipeline produces them: 500-character chunks of the sample, cycled to n. */
async function candidatePairs(n: number): Promise<Pair[]> {
  const chunks = (await splitText(sample)).filter((c) => c.length > 350);
  return Array.from({ length: n }, (_, i): Pair => [QUERY, chunks[i % chunks.length]!]);
}

async function benchRerank(): Promise<void> {
  const encoder = await LocalCrossEncoder.create({ model: CE, dtype: 'int8' });
  // The baseline: transformers.js used as its docs show (pads every pair to max_length).
  const tokenizer = await AutoTokenizer.from_pretrained(CE);
  const model = await AutoModelForSequenceClassification.from_pretrained(CE, { quantized: true });
  const documented = async (pairs: Pair[]) =>
    model(
      tokenizer(
        pairs.map(([q]) => q),
        { text_pair: pairs.map(([, d]) => d), padding: true, truncation: true, max_length: 512 },
      ),
    );
  for (const n of [20, 50, 100]) {
    const pairs = await candidatePairs(n);
    const ours = await time(() => encoder.score(pairs), n === 20 ? runs : Math.max(3, runs >> 1));
    const base = await time(() => documented(pairs), n === 20 ? Math.max(3, runs >> 1) : 3, 1);
    report(`rerank ${n} pairs (${CE} int8)`, ours, base, 'in-process', 'transformers.js as documented');
  }
}

async function benchFanOutRun(): Promise<void> {
  if (!modelsDir) throw new Error('the fanout bench starts scoring instances offline: set MODELS_DIR');
  await benchFanOut({
    modelsDir,
    crossEncoder: CE,
    pairs: candidatePairs,
    runs: Math.max(5, runs),
    row: (row) => rows.push(row),
  });
}

async function benchCostRun(): Promise<void> {
  if (!modelsDir || !local)
    throw new Error('the cost bench runs local stacks offline: set MODELS_DIR to a folder with minilm-ce');
  const prices = JSON.parse(readFileSync(path.join('bench', 'prices.json'), 'utf8')) as Prices;
  await benchCost(
    {
      modelsDir,
      embedder: EMBED,
      crossEncoder: CE,
      query: QUERY,
      sample,
      beir: values.beir ?? defaultBeir(),
      documents: Number(values['cost-docs']),
      runs: Math.max(5, runs),
      row: (row) => rows.push(row),
    },
    prices,
  );
}

async function withStore<T>(fn: (store: LanceStore, embedder: TransformersEmbedder) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-'));
  try {
    const embedder = await TransformersEmbedder.create({ model: EMBED, dtype: 'int8' });
    const store = await LanceStore.open({
      uri: dir,
      embeddingModel: EMBED,
      dimension: embedder.dimension,
      metric: 'cosine',
    });
    return await fn(store, embedder);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const ingestDeps = (store: LanceStore, embedder: TransformersEmbedder) => ({
  store,
  embedder,
  log: silentLog,
  extract: extractText,
  rules: { extensions: ['.txt'], maxBytes: 1e8 },
  split: { chunkSize: 500, chunkOverlap: 100 },
});

async function benchQuery(): Promise<void> {
  await withStore(async (store, embedder) => {
    await indexDocument('sotu.txt', Buffer.from(sample), ingestDeps(store, embedder));
    const crossEncoder = await LocalCrossEncoder.create({ model: CE, dtype: 'int8' });
    const deps = { embedder, store, failurePolicy: 'error' as const, defaults: { k: 20, topN: 3 }, log: silentLog };
    const ours = await time(() => answerQuery({ query: QUERY }, { ...deps, crossEncoder }), runs);
    const base = await time(() => answerQuery({ query: QUERY }, { ...deps, crossEncoder: null }), runs);
    rows.push({
      benchmark: 'query end to end (embed → top-20 → rerank → top-3)',
      ours: `${formatTiming(ours)} with rerank`,
      baseline: `${formatTiming(base)} retrieval only`,
      ratio: `+${(ours.median - base.median).toFixed(1)} ms for reranking`,
      detail: { ours, baseline: base },
    });
  });
}

async function benchIngest(): Promise<void> {
  await withStore(async (store, embedder) => {
    const chunks = await splitText(sample);
    // Ours: the ingest path (split, batched length-sorted embedding, one commit), on fresh content each run.
    let version = 0;
    const ours = await time(
      () => indexDocument(`doc-${version}.txt`, Buffer.from(`${sample}\n${version++}`), ingestDeps(store, embedder)),
      Math.max(3, runs >> 2),
      1,
    );
    // Baseline: transformers.js's feature-extraction pipeline as documented, all chunks in one call
    // (embedding only: no split, no store).
    const extractor = await pipeline('feature-extraction', EMBED, { quantized: true });
    const base = await time(() => extractor(chunks, { pooling: 'mean', normalize: true }), Math.max(3, runs >> 2), 1);
    const perSecond = (t: Timing) => Math.round((chunks.length / t.median) * 1000);
    rows.push({
      benchmark: `ingest ${chunks.length} chunks (${EMBED} int8, local LanceDB)`,
      ours: `${perSecond(ours)} chunks/s (${formatTiming(ours)}) batched`,
      baseline: `${perSecond(base)} chunks/s (${formatTiming(base)}) transformers.js pipeline as documented, embed only`,
      ratio: `${(base.median / ours.median).toFixed(1)}x`,
      detail: { ours, baseline: base, chunks: chunks.length },
    });
  });
}

async function benchCold(): Promise<void> {
  // Cold start in this process: first-time model load + first query; compared with a warm query.
  await withStore(async (store, embedder) => {
    await indexDocument('sotu.txt', Buffer.from(sample), ingestDeps(store, embedder));
    const start = performance.now();
    const crossEncoder = await LocalCrossEncoder.create({ model: CE, dtype: 'int8' });
    const loaded = performance.now() - start;
    const deps = {
      embedder,
      store,
      crossEncoder,
      failurePolicy: 'error' as const,
      defaults: { k: 20, topN: 3 },
      log: silentLog,
    };
    await answerQuery({ query: QUERY }, deps);
    const cold = performance.now() - start;
    const warm = await time(() => answerQuery({ query: QUERY }, deps), runs, 0);
    rows.push({
      benchmark: 'cold start (cross-encoder load + first query)',
      ours: `${Math.round(cold)} ms (load ${Math.round(loaded)} ms)`,
      baseline: `${formatTiming(warm)} warm query`,
      ratio: `${(cold / warm.median).toFixed(1)}x`,
      detail: { coldMs: cold, loadMs: loaded, warm },
    });
  });
}

async function benchEndpoint(): Promise<void> {
  rows.push(...(await benchEndpointServer(CE, await candidatePairs(20), runs)));
}

async function benchApi(): Promise<void> {
  if (!modelsDir || !local)
    throw new Error('the rerank-api bench runs the local stack offline: set MODELS_DIR to a folder with minilm-ce');
  const chunks = (await splitText(sample)).filter((c) => c.length > 350);
  await benchRerankApi({
    modelsDir,
    crossEncoder: CE,
    embedder: EMBED,
    query: QUERY,
    chunks,
    runs: Math.max(3, runs >> 1),
    report,
  });
}

async function benchGrowthRun(): Promise<void> {
  // tiny-embed (a test fixture), so the store's share of the cost shows, as it does in the measurements.
  await benchGrowth({
    beir: values.beir ?? defaultBeir(),
    documents: Number(values.docs),
    embedder: 'tiny-embed',
    modelsDir: path.resolve('test', 'fixtures', 'models'),
    baselineDocuments: 500,
    row: (row) => rows.push(row),
  });
}

async function benchMetadataRun(): Promise<void> {
  await withStore(async (store, embedder) => {
    const deps = { embedder, store, failurePolicy: 'error' as const, defaults: { k: 20, topN: 3 }, log: silentLog };
    await benchMetadata({
      sample,
      ingest: ingestDeps(store, embedder),
      query: deps,
      runs,
      row: (row) => rows.push(row),
    });
  });
}

async function benchExtractionRun(): Promise<void> {
  await benchExtraction({ sample, runs: Math.max(3, runs >> 1), row: (row) => rows.push(row) });
}

const benches: [string, () => Promise<void>][] = [
  ['rerank', benchRerank],
  ['fanout', benchFanOutRun],
  ['cost', benchCostRun],
  ['query', benchQuery],
  ['ingest', benchIngest],
  ['cold', benchCold],
  ['endpoint', benchEndpoint],
  ['rerank-api', benchApi],
  ['growth', benchGrowthRun],
  ['extraction', benchExtractionRun],
  ['metadata', benchMetadataRun],
  ['documents', () => benchDocuments({ embedder: EMBED, sample, runs, row: (row) => rows.push(row) })],
];
for (const [name, fn] of benches) {
  if (!enabled(name)) continue;
  if (!values.json) process.stderr.write(`running ${name}…\n`);
  await fn();
}

const machine = `${os.cpus()[0]?.model ?? 'cpu'} ×${os.cpus().length}, Node ${process.version}`;
if (values.json) {
  process.stdout.write(`${JSON.stringify({ machine, models: { embed: EMBED, crossEncoder: CE }, rows }, null, 2)}\n`);
} else {
  process.stdout.write(`\n${machine}; models: ${EMBED}, ${CE}\n`);
  console.table(rows.map(({ detail: _detail, ...rest }) => rest));
}
