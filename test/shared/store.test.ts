import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LanceStore } from '../../shared/store.js';

/** The LanceDB store on a local folder: batched commits, lookups, indexes and compaction. */

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function openStore(metric: 'cosine' | 'dot' = 'cosine', dir = mkdtempSync(path.join(os.tmpdir(), 'store-'))) {
  dirs.push(dir);
  return { dir, store: await LanceStore.open({ uri: dir, embeddingModel: 'test-embed', dimension: 2, metric }) };
}

const chunks = (n: number, label: string) =>
  Array.from({ length: n }, (_, i) => ({ text: `${label} chunk ${i}`, vector: [1, i + 1] }));

describe('LanceStore', () => {
  it('replaces the sources of a batch in one commit and settles each write with its chunk count', async () => {
    const { store } = await openStore();
    const written = await Promise.all(
      store.replaceSources([
        { source: 'a.txt', contentHash: 'ha', chunks: chunks(3, 'a') },
        { source: 'b.txt', contentHash: 'hb', chunks: chunks(2, 'b') },
      ]),
    );
    expect(written).toEqual([3, 2]);
    expect(store.writeStats.commits).toBe(1);
    expect(await store.count()).toBe(5);
  });

  it("removes a replaced source's surplus chunks, and the whole source for a write without chunks", async () => {
    const { store } = await openStore();
    await Promise.all(store.replaceSources([{ source: 'a.txt', contentHash: 'v1', chunks: chunks(4, 'old') }]));
    await Promise.all(store.replaceSources([{ source: 'a.txt', contentHash: 'v2', chunks: chunks(2, 'new') }]));
    const hits = await store.search([1, 1], { limit: 10, source: 'a.txt' });
    expect(hits.map((h) => h.text).sort()).toEqual(['new chunk 0', 'new chunk 1']);
    await Promise.all(store.replaceSources([{ source: 'a.txt', contentHash: '', chunks: [] }]));
    expect(await store.count('a.txt')).toBe(0);
  });

  it('looks up the content hashes of a batch at once, including rows written after the indexes', async () => {
    const { store } = await openStore();
    await Promise.all(store.replaceSources([{ source: 'a.txt', contentHash: 'ha', chunks: chunks(2, 'a') }]));
    await store.ensureIndexes();
    await Promise.all(store.replaceSources([{ source: 'b.txt', contentHash: 'hb', chunks: chunks(3, 'b') }]));
    const hashes = await store.sourceHashes(['a.txt', 'b.txt', 'missing.txt']);
    expect([...hashes.entries()].sort()).toEqual([
      ['a.txt', 'ha'],
      ['b.txt', 'hb'],
    ]);
  });

  it('creates B-tree indexes for lookups and the full-text index, once', async () => {
    const { store } = await openStore();
    await Promise.all(store.replaceSources([{ source: 'a.txt', contentHash: 'ha', chunks: chunks(2, 'a') }]));
    await store.ensureIndexes();
    await store.ensureIndexes();
    expect((await store.indexedColumns()).sort()).toEqual(['chunk', 'source_id', 'text']);
  });

  it('compacts once 16 small fragments pile up, not before', async () => {
    const { store } = await openStore();
    for (let i = 0; i < 15; i++) {
      await Promise.all(store.replaceSources([{ source: `d${i}.txt`, contentHash: 'h', chunks: chunks(1, `d${i}`) }]));
    }
    expect(await store.optimizeIfFragmented()).toBe(false);
    await Promise.all(store.replaceSources([{ source: 'd15.txt', contentHash: 'h', chunks: chunks(1, 'd15') }]));
    expect(await store.optimizeIfFragmented()).toBe(true);
    expect(await store.fragments()).toBe(1);
    expect(await store.count()).toBe(16);
  });

  it('refuses to open a table with another VECTOR_METRIC, naming both', async () => {
    const { dir, store } = await openStore('cosine');
    await Promise.all(store.replaceSources([{ source: 'a.txt', contentHash: 'ha', chunks: chunks(1, 'a') }]));
    await expect(openStore('dot', dir)).rejects.toMatchObject({
      name: 'StoreMismatchError',
      message: expect.stringContaining('metric cosine, configured VECTOR_METRIC=dot'),
    });
  });
});
