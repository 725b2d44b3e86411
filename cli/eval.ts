/**
 * npm run eval -- <dir> [--mode vector|fts|hybrid] [--rerank on|off] [--k 20] [--top-n 10] [--max-queries N] [--json]
 * Evaluates retrieval (and reranking) on a dataset in BEIR layout; prints nDCG@10, Recall@k, MRR@10 and
 * per-stage latency percentiles. The corpus goes into a fresh temporary LanceDB table.
 */
import { SingleBar, Presets } from 'cli-progress';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { loadBeir } from '../evaluation/beir.js';
import { evaluate } from '../evaluation/harness.js';
import type { Embedder } from '../shared/pipeline/ports.js';
import { createEmbedder, createLocalCrossEncoder } from '../shared/wiring/models.js';
import { LanceStore } from '../shared/adapters/lancedb/lanceStore.js';
import { cliConfig, runCommand } from './common.js';

/** BM25-only runs need no vectors: a one-dimensional constant keeps the table shape without a model. */
const noVectors: Embedder = {
  modelId: 'none',
  dimension: 1,
  embedQuery: async () => [1],
  embedDocuments: async (texts) => texts.map(() => [1]),
};

const Flags = z.object({
  mode: z.enum(['vector', 'fts', 'hybrid']).optional(),
  rerank: z.enum(['on', 'off']).default('on'),
  k: z.coerce.number().int().min(1).max(1000).optional(),
  'top-n': z.coerce.number().int().min(1).max(1000).default(10),
  'max-queries': z.coerce.number().int().min(1).optional(),
  json: z.boolean().default(false),
});

runCommand(
  {
    allowPositionals: true,
    options: {
      mode: { type: 'string' },
      rerank: { type: 'string' },
      k: { type: 'string' },
      'top-n': { type: 'string' },
      'max-queries': { type: 'string' },
      json: { type: 'boolean' },
    },
  },
  async ({ values, positionals }) => {
    if (positionals.length !== 1)
      throw new Error('usage: npm run eval -- <beir dir> [--mode vector|fts|hybrid] [--rerank on|off]');
    const flags = Flags.parse(values);
    const config = cliConfig();
    const mode = flags.mode ?? config.retrieval.mode;
    const k = flags.k ?? config.query.k;
    const dataset = loadBeir(positionals[0]!);

    const embedder = mode === 'fts' ? noVectors : await createEmbedder(config);
    const crossEncoder = flags.rerank === 'on' ? await createLocalCrossEncoder(config) : null;
    const dir = mkdtempSync(path.join(os.tmpdir(), 'eval-'));
    try {
      const store = await LanceStore.open({
        uri: dir,
        embeddingModel: embedder.modelId,
        dimension: embedder.dimension,
        metric: config.embedding.metric,
      });
      const bar =
        !flags.json && process.stderr.isTTY
          ? new SingleBar({ format: '{stage} [{bar}] {value}/{total}' }, Presets.shades_classic)
          : null;
      let stage = '';
      const report = await evaluate(
        dataset,
        { embedder, store, crossEncoder },
        {
          mode,
          rerank: crossEncoder !== null,
          k,
          topN: flags['top-n'],
          chunkSize: config.ingest.chunkSize,
          chunkOverlap: config.ingest.chunkOverlap,
          rrfK: config.retrieval.rrfK,
          maxQueries: flags['max-queries'],
          progress: (s, done, total) => {
            if (!bar) return;
            if (s !== stage) {
              bar.stop();
              stage = s;
              bar.start(total, 0, { stage: s });
            }
            bar.update(done, { stage: s });
          },
        },
      );
      bar?.stop();
      if (flags.json) {
        process.stdout.write(
          `${JSON.stringify(
            { ...report, models: { embedding: embedder.modelId, crossEncoder: crossEncoder?.name ?? null } },
            null,
            2,
          )}\n`,
        );
        return;
      }
      const m = report.metrics;
      process.stdout.write(
        `${report.dataset}: ${report.corpus.documents} documents (${report.corpus.chunks} chunks, ingested in ${report.corpus.ingestSeconds} s), ` +
          `${report.queries.evaluated} queries; mode ${mode}, rerank ${crossEncoder ? crossEncoder.name : 'off'}, k ${k}, top-n ${flags['top-n']}\n`,
      );
      console.table({
        [`${mode}${crossEncoder ? ' + rerank' : ''}`]: {
          'nDCG@10': m.ndcg10,
          [`Recall@${k}`]: m.recallK,
          'MRR@10': m.mrr10,
        },
      });
      console.table(report.latencyMs);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
