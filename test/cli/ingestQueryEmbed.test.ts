import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SAMPLE_DOCUMENT, fixtureEnv, maxAbsDiff, readReference, type EmbeddingReference } from '../helpers.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function cli(script: string, args: string[], input?: string) {
  return spawnSync('npx', ['tsx', `cli/${script}.ts`, ...args], {
    encoding: 'utf8',
    input,
    env: { ...process.env, ...fixtureEnv({ RERANKER_DTYPE: 'fp32' }) },
    timeout: 120_000,
  });
}

describe('npm run embed', () => {
  it('prints vectors that match the Hugging Face reference (fp32, normalised)', () => {
    const reference = readReference<EmbeddingReference>('embedding_vectors');
    const result = cli('embed', ['--model', 'tiny-embed', '--dtype', 'fp32'], JSON.stringify(reference.texts));
    expect(result.status).toBe(0);
    const vectors = JSON.parse(result.stdout) as number[][];
    vectors.forEach((v, i) => expect(maxAbsDiff(v, reference.models['tiny-embed']!.torch_mean_normalized![i]!)).toBeLessThan(1e-4));
  });

  it('refuses input that is not a JSON array of strings', () => {
    const result = cli('embed', ['--model', 'tiny-embed'], '{"texts": 1}');
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/JSON array of strings/);
  });
});

describe('npm run ingest and npm run query', () => {
  it('ingests a folder, reports skipped files, and answers a query from it', () => {
    const docs = path.join(work, 'docs');
    mkdirSync(docs);
    copyFileSync(SAMPLE_DOCUMENT, path.join(docs, 'sotu.txt'));
    writeFileSync(path.join(docs, 'notes.md'), '# Notes\n\nThe economy plan is ambitious.');
    writeFileSync(path.join(docs, 'image.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0]));
    const db = path.join(work, 'db');

    const ingest = cli('ingest', [docs, '--db', db]);
    expect(ingest.status).toBe(0);
    expect(ingest.stdout).toMatch(/3 file\(s\): 2 indexed \(\d+ chunks\), 0 unchanged, 1 skipped/);
    expect(ingest.stdout).toMatch(/skipped .*image\.png: unsupported file type "\.png"/);

    const again = cli('ingest', [docs, '--db', db]);
    expect(again.stdout).toMatch(/0 indexed \(0 chunks\), 2 unchanged, 1 skipped/);

    const query = cli('query', ['What is the plan for the economy?', '--db', db, '--top-n', '2', '--json']);
    expect(query.status).toBe(0);
    const response = JSON.parse(query.stdout) as { results: { score: number; source: string }[]; reranked: boolean };
    expect(response.reranked).toBe(true);
    expect(response.results).toHaveLength(2);
    expect(response.results[0]!.score).toBeGreaterThanOrEqual(response.results[1]!.score);
  });

  it('rejects an invalid query with the reason', () => {
    const result = cli('query', ['', '--db', path.join(work, 'db')]);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/query must not be empty/);
  });
});
