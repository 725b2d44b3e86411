import { sha256Hex } from '../shared/pipeline/ingest/document.js';
import type { Embedder } from '../shared/pipeline/ports.js';
import { retrieve, type RetrievalMode } from '../shared/pipeline/query/retrieval.js';
import { chunkText } from '../shared/pipeline/ingest/splitter.js';
import type { LanceStore } from '../shared/adapters/lancedb/lanceStore.js';
import { type BeirDataset, documentText } from './beir.js';
import { percentile } from './stats.js';
import { hasRelevant, mrrAt, ndcgAt, recallAt, trecOrder, type Scored } from './metrics.js';
import type { Pair, CrossEncoder } from '../shared/pipeline/ports.js';
import type { SearchHit } from '../shared/pipeline/ports.js';

export interface EvalOptions {
  mode: RetrievalMode;
  rerank: boolean;
  /** First-stage candidates per query (Recall@k is measured on them). */
  k: number;
  /** Results kept after reranking (nDCG@10 and MRR@10 are measured on them). */
  topN: number;
  chunkSize: number;
  chunkOverlap: number;
  rrfK: number;
  /** Evaluate only the first N scorable queries. */
  maxQueries?: number;
  /** Called with (done, total) while ingesting and querying. */
  progress?: (stage: 'ingest' | 'query', done: number, total: number) => void;
}

export interface LatencySummary {
  p50: number;
  p90: number;
  p99: number;
}

export interface EvalReport {
  dataset: string;
  settings: Omit<EvalOptions, 'progress'>;
  corpus: { documents: number; chunks: number; ingestSeconds: number };
  queries: { evaluated: number; withoutRelevant: number };
  metrics: { ndcg10: number; recallK: number; mrr10: number };
  latencyMs: { embed: LatencySummary; search: LatencySummary; rerank: LatencySummary; total: LatencySummary };
}

export interface EvalDeps {
  embedder: Embedder;
  store: LanceStore;
  crossEncoder: CrossEncoder | null;
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
const summary = (xs: number[]): LatencySummary => ({
  p50: round(percentile(xs, 50)),
  p90: round(percentile(xs, 90)),
  p99: round(percentile(xs, 99)),
});
const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

/** Best score per document from chunk hits (a document is as relevant as its best chunk). */
function perDocument(hits: { source: string; score: number }[], exclude: string): Scored[] {
  const best = new Map<string, number>();
  for (const { source, score } of hits) {
    if (source === exclude) continue; // the query's own document (BEIR's ignore_identical_ids)
    best.set(source, Math.max(best.get(source) ?? -Infinity, score));
  }
  return [...best].map(([id, score]) => ({ id, score }));
}

/** Retrieval order as scores (rank 1 highest), so documents keep their first-stage order. */
const byRank = (hits: SearchHit[]) => hits.map((h, i) => ({ source: h.source, score: hits.length - i }));

async function ingestCorpus(dataset: BeirDataset, deps: EvalDeps, options: EvalOptions): Promise<number> {
  const batch = 256;
  let chunks = 0;
  for (let start = 0; start < dataset.corpus.length; start += batch) {
    const documents = dataset.corpus.slice(start, start + batch);
    // Chunked as ingest chunks (a document within CHUNK_SIZE stays one chunk).
    const split = await Promise.all(
      documents.map((d) =>
        chunkText(documentText(d), {
          chunkSize: options.chunkSize,
          chunkOverlap: options.chunkOverlap,
        }),
      ),
    );
    const vectors = await deps.embedder.embedDocuments(split.flat());
    let offset = 0;
    chunks += await deps.store.addSources(
      documents.map((d, i) => ({
        source: d.id,
        contentHash: sha256Hex(d.text),
        chunks: split[i]!.map((text) => ({ text, vector: vectors[offset++]! })),
      })),
    );
    options.progress?.('ingest', Math.min(start + batch, dataset.corpus.length), dataset.corpus.length);
  }
  await deps.store.ensureIndexes();
  await deps.store.optimize();
  return chunks;
}

/**
 * Ingests a BEIR corpus, runs every judged query through the first stage (and the reranker), and reports
 * nDCG@10, Recall@k and MRR@10 (documents scored by their best chunk, the query's own document excluded) with
 * per-stage latency percentiles.
 */
export async function evaluate(dataset: BeirDataset, deps: EvalDeps, options: EvalOptions): Promise<EvalReport> {
  const ingestStart = performance.now();
  const chunks = await ingestCorpus(dataset, deps, options);
  const ingestSeconds = (performance.now() - ingestStart) / 1000;

  const judgedQueries = dataset.queries.filter((q) => hasRelevant(dataset.qrels.get(q.id)));
  const queries = judgedQueries.slice(0, options.maxQueries ?? judgedQueries.length);
  const scores = { ndcg: [] as number[], recall: [] as number[], mrr: [] as number[] };
  const latency = { embed: [] as number[], search: [] as number[], rerank: [] as number[], total: [] as number[] };

  for (const [i, query] of queries.entries()) {
    const judgements = dataset.qrels.get(query.id)!;
    const start = performance.now();
    const { hits, embedMs, searchMs } = await retrieve(query.text, deps.embedder, deps.store, {
      mode: options.mode,
      k: options.k,
      rrfK: options.rrfK,
    });
    const firstStage = trecOrder(perDocument(byRank(hits), query.id));
    let final = firstStage;
    const rerankStart = performance.now();
    if (options.rerank && deps.crossEncoder && hits.length > 0) {
      const logits = await deps.crossEncoder.score(hits.map((h): Pair => [query.text, h.text]));
      final = trecOrder(
        perDocument(
          hits.map((h, j) => ({ source: h.source, score: logits[j]! })),
          query.id,
        ),
      );
    }
    final = final.slice(0, options.topN);
    latency.rerank.push(performance.now() - rerankStart);
    latency.embed.push(embedMs);
    latency.search.push(searchMs);
    latency.total.push(performance.now() - start);
    scores.ndcg.push(ndcgAt(final, judgements, 10));
    scores.mrr.push(mrrAt(final, judgements, 10));
    scores.recall.push(recallAt(firstStage, judgements, options.k));
    options.progress?.('query', i + 1, queries.length);
  }

  const { progress: _progress, ...settings } = options;
  return {
    dataset: dataset.name,
    settings,
    corpus: { documents: dataset.corpus.length, chunks, ingestSeconds: round(ingestSeconds, 1) },
    queries: { evaluated: queries.length, withoutRelevant: dataset.queries.length - judgedQueries.length },
    metrics: {
      ndcg10: round(mean(scores.ndcg), 4),
      recallK: round(mean(scores.recall), 4),
      mrr10: round(mean(scores.mrr), 4),
    },
    latencyMs: {
      embed: summary(latency.embed),
      search: summary(latency.search),
      rerank: summary(latency.rerank),
      total: summary(latency.total),
    },
  };
}
