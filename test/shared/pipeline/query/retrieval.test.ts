import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Embedder } from '../../../../shared/pipeline/ports.js';
import { reciprocalRankFusion, retrieve } from '../../../../shared/pipeline/query/retrieval.js';
import { LanceStore } from '../../../../shared/adapters/lancedb/lanceStore.js';
import type { SearchHit } from '../../../../shared/pipeline/ports.js';

const hit = (id: string): SearchHit => ({ id, text: id, source: id, chunk: 0, score: 0 });

describe('reciprocalRankFusion', () => {
  it('sums 1/(k + rank) over the lists', () => {
    const fused = reciprocalRankFusion(
      [
        [hit('a'), hit('b')],
        [hit('b'), hit('c')],
      ],
      60,
    );
    expect(fused.map((h) => h.id)).toEqual(['b', 'a', 'c']);
    expect(fused[0]!.score).toBeCloseTo(1 / 62 + 1 / 61, 12);
    expect(fused[1]!.score).toBeCloseTo(1 / 61, 12);
    expect(fused[2]!.score).toBeCloseTo(1 / 62, 12);
  });

  it('keeps first-appearance order on ties', () => {
    const fused = reciprocalRankFusion([[hit('x')], [hit('y')]], 60);
    expect(fused.map((h) => h.id)).toEqual(['x', 'y']);
  });
});

describe('full-text retrieval (LanceDB FTS)', () => {
  let dir: string;
  let store: LanceStore;
  // Two fixed directions, so vector results are known without a model.
  const direction = (text: string) => (text.includes('ocean') ? [1, 0] : [0, 1]);
  const embedder: Embedder = {
    modelId: 'fixed',
    dimension: 2,
    embedQuery: async (text) => direction(text),
    embedDocuments: async (texts) => texts.map(direction),
  };
  const write = async (source: string, texts: string[]) =>
    store.replaceSource(
      source,
      source + texts.join(),
      await Promise.all(texts.map(async (text) => ({ text, vector: direction(text) }))),
    );

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'fts-'));
    store = await LanceStore.open({ uri: dir, embeddingModel: 'fixed', dimension: 2, metric: 'cosine' });
    await write('tides.txt', ['Spring tides follow the moon.', 'The ocean rises twice a day.']);
    await write('bees.txt', ['Honeybees keep a queen.']);
    await store.ensureIndexes();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('finds chunks by words, with English stemming', async () => {
    const hits = await store.searchText('tide', { limit: 5 });
    expect(hits.map((h) => h.text)).toEqual(['Spring tides follow the moon.']);
  });

  it('finds rows written after the index was built and forgets replaced or deleted ones', async () => {
    await write('bees.txt', ['Bumblebees nest underground.']);
    expect(await store.searchText('honeybees', { limit: 5 })).toEqual([]);
    expect((await store.searchText('bumblebees', { limit: 5 })).map((h) => h.source)).toEqual(['bees.txt']);
    await store.deleteSource('bees.txt');
    expect(await store.searchText('bumblebees', { limit: 5 })).toEqual([]);
  });

  it('treats query syntax characters as plain words', async () => {
    const hits = await store.searchText('moon" OR (tides:*) AND \'x', { limit: 5 });
    expect(hits[0]?.source).toBe('tides.txt');
  });

  it('applies the source filter to full-text results', async () => {
    await write('moon.txt', ['The moon has no air.']);
    const hits = await store.searchText('moon', { limit: 5, source: 'moon.txt' });
    expect(hits.map((h) => h.source)).toEqual(['moon.txt']);
  });

  it('fuses vector and text results in hybrid mode', async () => {
    const { hits } = await retrieve('ocean moon', embedder, store, { mode: 'hybrid', k: 3, rrfK: 60 });
    // Vector search ranks the one "ocean" chunk first (the fixed embedder points only it that way); BM25 ranks a
    // "moon" chunk first (two of the three chunks have "moon"): the first of each leads the fused list.
    const [first, second] = hits.slice(0, 2).map((h) => h.text);
    const leaders = [first, second];
    expect(leaders).toContain('The ocean rises twice a day.');
    const other = leaders.find((text) => text !== 'The ocean rises twice a day.');
    expect(['Spring tides follow the moon.', 'The moon has no air.']).toContain(other);
    expect(hits).toHaveLength(3);
  });
});

describe('LanceStore.optimizeIfFragmented', () => {
  it('compacts once small fragments pile up, keeping every row', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'frag-'));
    try {
      const store = await LanceStore.open({ uri: dir, embeddingModel: 'fixed', dimension: 2, metric: 'cosine' });
      for (let i = 0; i < 6; i++)
        await store.replaceSource(`doc${i}`, `h${i}`, [{ text: `text ${i}`, vector: [1, 0] }]);
      expect(await store.optimizeIfFragmented(10)).toBe(false);
      const before = await store.fragments();
      expect(before).toBeGreaterThanOrEqual(6);
      expect(await store.optimizeIfFragmented(4)).toBe(true);
      expect(await store.fragments()).toBeLessThan(before);
      expect(await store.count()).toBe(6);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
