import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fixtureEnv } from '../helpers.js';

const db = mkdtempSync(path.join(os.tmpdir(), 'demo-'));
afterAll(() => rmSync(db, { recursive: true, force: true }));

describe('npm run demo', () => {
  it('prints the top-20 retrieved and the top-3 reranked chunks in the seed format', () => {
    const result = spawnSync('npx', ['tsx', 'cli/demo.ts', '--db', db], {
      encoding: 'utf8',
      env: { ...process.env, ...fixtureEnv({ RERANKER_DTYPE: 'fp32' }) },
      timeout: 120_000,
    });
    expect(result.status).toBe(0);
    const [retrieved, reranked] = result.stdout.split('=== Top 3 after reranking ===');
    expect(retrieved).toContain('=== Top 20 retrieved');
    const separator = `\n${'-'.repeat(100)}\n`;
    expect(retrieved!.split(separator)).toHaveLength(20);
    expect(reranked!.split(separator)).toHaveLength(3);
    expect(reranked).toMatch(/Document 1: \(rerank score -?\d+\.\d{4}, was #\d+\)/);
    const scores = [...reranked!.matchAll(/rerank score (-?\d+\.\d+)/g)].map((m) => Number(m[1]));
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
  });
});
