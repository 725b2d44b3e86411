import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadBeir } from '../../evaluation/beir.js';
import { fixtureEnv } from '../helpers.js';

const SAMPLE = path.join(import.meta.dirname, '..', 'fixtures', 'beir-sample');

interface Report {
  corpus: { documents: number; chunks: number };
  queries: { evaluated: number; withoutRelevant: number };
  metrics: { ndcg10: number; recallK: number; mrr10: number };
  latencyMs: Record<'embed' | 'search' | 'rerank' | 'total', { p50: number; p90: number; p99: number }>;
}

function runEval(args: string[]): Report {
  const result = spawnSync('npx', ['tsx', 'cli/eval.ts', SAMPLE, '--json', ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...fixtureEnv() },
    timeout: 120_000,
  });
  if (result.status !== 0) throw new Error(result.stderr);
  return JSON.parse(result.stdout) as Report;
}

describe('loadBeir', () => {
  it('reads corpus, queries and graded qrels', () => {
    const dataset = loadBeir(SAMPLE);
    expect(dataset.corpus).toHaveLength(11);
    expect(dataset.queries).toHaveLength(6);
    expect(dataset.qrels.get('q1')).toEqual(
      new Map([
        ['d2', 2],
        ['d9', 1],
      ]),
    );
  });
});

describe('npm run eval on the bundled sample', () => {
  it('scores BM25 as computed by hand, excluding the query’s own document and unjudged queries', () => {
    const report = runEval(['--mode', 'fts', '--rerank', 'off', '--k', '5']);
    // q1 finds only d2 (grade 2 of ideal 2 + 1): 2 / (2 + 1/log2 3); q2, q3, q5 find their document first;
    // q4's only match is its own document q4, which is excluded; q6 has no relevant document.
    const q1 = 2 / (2 + 1 / Math.log2(3));
    expect(report.queries).toEqual({ evaluated: 5, withoutRelevant: 1 });
    expect(report.metrics.ndcg10).toBeCloseTo((q1 + 3) / 5, 3);
    expect(report.metrics.recallK).toBeCloseTo((0.5 + 3) / 5, 3);
    expect(report.metrics.mrr10).toBeCloseTo(4 / 5, 3);
    expect(report.corpus.chunks).toBeGreaterThan(report.corpus.documents); // the long document is split
  });

  it('runs hybrid retrieval with reranking and reports per-stage latency', () => {
    const report = runEval(['--mode', 'hybrid', '--rerank', 'on', '--k', '5', '--top-n', '3']);
    for (const value of Object.values(report.metrics)) {
      expect(value).toBeGreaterThanOrEqual(0);
      expect(value).toBeLessThanOrEqual(1);
    }
    // Hybrid candidates include every BM25 hit, so first-stage recall is at least BM25's.
    expect(report.metrics.recallK).toBeGreaterThanOrEqual(0.7 - 1e-9);
    expect(report.latencyMs.rerank.p50).toBeGreaterThan(0);
    expect(report.latencyMs.embed.p50).toBeGreaterThan(0);
    expect(report.latencyMs.total.p90).toBeGreaterThanOrEqual(report.latencyMs.total.p50);
  });
});
