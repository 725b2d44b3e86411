import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { configureModelHub } from '../../shared/adapters/transformers/hub.js';
import { LanceStore } from '../../shared/adapters/lancedb/lanceStore.js';
import { LanceStatusStore } from '../../shared/adapters/lancedb/statusTable.js';
import { FIXTURE_MODELS, fixtureEnv, lambdaContext } from '../helpers.js';

interface Report {
  fragmentsBefore: number;
  fragmentsAfter: number;
  vectorIndexCreated: boolean;
  indexedColumns: string[];
  statuses: { fragmentsBefore: number; fragmentsAfter: number } | null;
}
type Handler = (event: unknown, context: unknown) => Promise<Report>;

const dir = mkdtempSync(path.join(os.tmpdir(), 'maintain-'));
let handler: Handler;
let store: LanceStore;
let firstReport: Report;

/** A deterministic pseudo-random unit vector per (document, chunk). */
function vector(seed: number): number[] {
  const v = new Array<number>(128);
  let x = seed * 2654435761;
  for (let i = 0; i < v.length; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    v[i] = x / 2147483648 - 0.5;
  }
  return v;
}

beforeAll(async () => {
  configureModelHub({ dir: FIXTURE_MODELS, allowRemote: false });
  store = await LanceStore.open({ uri: dir, embeddingModel: 'tiny-embed', dimension: 128, metric: 'cosine' });
  // 30 small writes of 10 chunks: 300 rows in 30 fragments, as many single-document ingests leave them.
  for (let d = 0; d < 30; d++) {
    const chunks = Array.from({ length: 10 }, (_, c) => ({
      text: `document ${d} chunk ${c}`,
      vector: vector(d * 10 + c + 1),
    }));
    await store.replaceSource(`doc-${d}.txt`, `hash-${d}`, chunks);
  }
  // 20 status writes, one commit each, as 20 ingest batches leave the documents' status table.
  const statuses = await LanceStatusStore.open({ uri: dir, embeddingModel: 'tiny-embed', metric: 'cosine' });
  for (let d = 0; d < 20; d++) {
    await statuses.mark([{ source: `doc-${d}.txt`, tenant: null, contentType: 'text/plain' }], 'pending', `t${d}`);
  }
  // The handler reads its config at import: stub the environment first, import a fresh copy after.
  const env = fixtureEnv({ VECTOR_DB_URI: dir, VECTOR_INDEX_MIN_ROWS: '256', POWERTOOLS_LOG_LEVEL: 'ERROR' });
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
  vi.resetModules();
  handler = (await import('../../functions/maintain/handler.js')).handler as unknown as Handler;
  // The first run, whose effects every test below looks at (each may also run alone).
  firstReport = await handler({}, lambdaContext('maintain'));
});
afterAll(() => {
  vi.unstubAllEnvs();
  rmSync(dir, { recursive: true, force: true });
});

describe('maintain handler', () => {
  it('compacts fragments and builds the lookup, text and vector indexes once the table is large enough', () => {
    const report = firstReport;
    expect(report.fragmentsBefore).toBeGreaterThanOrEqual(30);
    expect(report.fragmentsAfter).toBeLessThan(report.fragmentsBefore);
    expect(report.vectorIndexCreated).toBe(true);
    expect(report.indexedColumns.sort()).toEqual(['chunk', 'source_id', 'text', 'vector']);
  });

  it("compacts the documents' status table and keeps every status", async () => {
    expect(firstReport.statuses!.fragmentsBefore).toBeGreaterThanOrEqual(20);
    expect(firstReport.statuses!.fragmentsAfter).toBe(1);
    const statuses = await LanceStatusStore.open({ uri: dir, embeddingModel: 'tiny-embed', metric: 'cosine' });
    const { documents } = await statuses.list({ tenant: null, limit: 100 });
    expect(documents.map((d) => d.source)).toHaveLength(20);
    expect(documents.every((d) => d.status === 'pending')).toBe(true);
  });

  it('keeps every row searchable, through the index', async () => {
    expect(firstReport.indexedColumns).toContain('vector');
    expect(await store.count()).toBe(300);
    const hits = await store.search(vector(42), { limit: 5 });
    expect(hits[0]?.text).toBe('document 4 chunk 1');
  });

  it('does nothing new on the next run', async () => {
    const report = await handler({}, lambdaContext('maintain'));
    expect(report.vectorIndexCreated).toBe(false);
    expect(report.indexedColumns.sort()).toEqual(['chunk', 'source_id', 'text', 'vector']);
  });
});
