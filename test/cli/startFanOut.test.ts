import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StackState } from '../../local/stackState.js';
import type { ScoringPoolStats } from '../../local/scoringPool.js';
import { configureModelHub } from '../../shared/adapters/transformers/hub.js';
import { LocalCrossEncoder } from '../../shared/adapters/transformers/localCrossEncoder.js';
import { FIXTURE_MODELS, SAMPLE_DOCUMENT } from '../helpers.js';
import { StackProcess, until, type StackSettings } from '../stack.js';
import type { QueryResponse } from '../../shared/pipeline/query/query.js';
import { QueryResponseSchema } from '../../shared/api/queryApi.js';

// The state folder does not exist yet and the S3 data lies outside it (issue: npm start once failed writing
// stack.json when only S3_DATA_DIR's folder was created).
const tmp = mkdtempSync(path.join(os.tmpdir(), 'stack-fanout-'));
const dataDir = path.join(tmp, 'state', 'not-yet-made');
const s3DataDir = path.join(mkdtempSync(path.join(os.tmpdir(), 'stack-fanout-s3-')), 's3');
const settings: StackSettings = {
  S3_PORT: '31751',
  HTTP_PORT: '31050',
  LAMBDA_PORT: '31052',
  ENDPOINT_PORT: '31851',
  STACK_DATA_DIR: dataDir,
};
const SCORING_PORT = '31054';
const QUERY = 'What is the plan for the economy?';
let stack: StackProcess;

beforeAll(async () => {
  stack = new StackProcess(settings, {
    S3_DATA_DIR: s3DataDir,
    RERANK_BACKEND: 'local',
    RERANK_FANOUT: '4',
    RERANK_FANOUT_MIN_PAIRS: '25',
    RERANK_SHARD_TIMEOUT_MS: '1000',
    SCORING_PORT,
  });
  await stack.waitFor(/Stack ready/, 240_000);
}, 250_000);

afterAll(async () => {
  await stack?.stop();
  rmSync(tmp, { recursive: true, force: true });
  rmSync(path.dirname(s3DataDir), { recursive: true, force: true });
});

async function ask(body: object): Promise<QueryResponse> {
  const res = await fetch(`http://127.0.0.1:${settings.HTTP_PORT}/query`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(60_000),
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`/query answered ${res.status}: ${text}`);
  return QueryResponseSchema.parse(JSON.parse(text));
}

const poolStats = async (): Promise<ScoringPoolStats> =>
  (await (await fetch(`http://127.0.0.1:${SCORING_PORT}/_local/stats`)).json()) as ScoringPoolStats;

/** The same cross-encoder in this process, unfanned: what the query function scores without fan-out. */
async function inProcessScores(texts: string[]): Promise<number[]> {
  configureModelHub({ dir: FIXTURE_MODELS, allowRemote: false });
  const encoder = await LocalCrossEncoder.create({ model: 'tiny-ce', dtype: 'fp32' });
  return encoder.score(texts.map((text) => [QUERY, text]));
}

describe('npm start with fan-out (RERANK_BACKEND=local, RERANK_FANOUT=4)', () => {
  beforeAll(async () => {
    // Over 100 chunks: the sample (about 98) and a second document.
    const second = Array.from(
      { length: 30 },
      (_, i) => `Paragraph ${i}: the budget for roads, ports and schools in district ${i} grows with the economy.`,
    ).join('\n\n');
    for (const [key, body] of [
      ['docs/sotu.txt', readFileSync(SAMPLE_DOCUMENT)],
      ['docs/budget.txt', Buffer.from(second.repeat(3))],
    ] as const) {
      const put = await fetch(`http://127.0.0.1:${settings.S3_PORT}/documents/${key}`, { method: 'PUT', body });
      expect(put.status).toBe(200);
    }
    await until(
      async () => ((await ask({ query: QUERY, k: 100, topN: 100 })).results.length === 100 ? true : undefined),
      120_000,
      () => `100 candidates searchable; output:\n${stack.output.slice(-3000)}`,
    );
  }, 150_000);

  it('runs the scoring function as separate instances behind the Invoke API, each its own process', () => {
    const state = JSON.parse(readFileSync(path.join(dataDir, 'stack.json'), 'utf8')) as StackState;
    const instances = Object.keys(state.parts).filter((name) => name.startsWith('score-'));
    expect(instances.sort()).toEqual(['score-1', 'score-2', 'score-3', 'score-4']);
    expect(new Set(instances.map((name) => state.parts[name])).size).toBe(4);
  });

  it('ranks and scores 100 candidates in four invocations as the unfanned cross-encoder does', async () => {
    const before = await poolStats();
    const answer = await ask({ query: QUERY, k: 100, topN: 100 });
    const after = await poolStats();
    expect(after.invocations - before.invocations).toBe(4);
    expect(after.errors).toBe(before.errors);

    expect(answer.reranked).toBe(true);
    const expected = await inProcessScores(answer.results.map((r) => r.text));
    const scores = answer.results.map((r) => r.score!);
    for (const [i, score] of scores.entries()) expect(Math.abs(score - expected[i]!)).toBeLessThan(1e-4);
    // Results come best first, and so would the unfanned scores of the same passages.
    const order = (xs: number[]) => xs.map((x, i) => [x, i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
    expect(order(scores).map(([, i]) => i)).toEqual(order(expected).map(([, i]) => i));
  });

  it('scores 20 candidates in-process, below two shards of 25', async () => {
    const before = await poolStats();
    const answer = await ask({ query: QUERY, k: 20, topN: 5 });
    expect(answer.results).toHaveLength(5);
    expect((await poolStats()).invocations).toBe(before.invocations);
  });

  it('answers complete scores when a scoring instance hangs: its shard times out and is scored again', async () => {
    const reference = await ask({ query: QUERY, k: 100, topN: 100 });
    const state = JSON.parse(readFileSync(path.join(dataDir, 'stack.json'), 'utf8')) as StackState;
    const from = stack.output.length;
    // A stopped process keeps its socket open and answers nothing, as a frozen Lambda instance would; the pool
    // hands it the first shard.
    process.kill(state.parts['score-1']!, 'SIGSTOP');
    try {
      const answer = await ask({ query: QUERY, k: 100, topN: 100 });
      expect(answer.results.map((r) => r.id)).toEqual(reference.results.map((r) => r.id));
      for (const [i, r] of answer.results.entries()) {
        expect(Math.abs(r.score! - reference.results[i]!.score!)).toBeLessThan(1e-4);
      }
      await stack.waitFor(/scoring shard failed.*no answer within 1000 ms/, 10_000, from);
    } finally {
      process.kill(state.parts['score-1']!, 'SIGCONT');
    }
  });
});
