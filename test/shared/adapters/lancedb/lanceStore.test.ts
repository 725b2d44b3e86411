import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import * as lancedb from '@lancedb/lancedb';
import { Field, FixedSizeList, Float32, Int32, Schema, Utf8 } from 'apache-arrow';
import { compileFilter } from '../../../../shared/pipeline/query/filters.js';
import { LanceStore } from '../../../../shared/adapters/lancedb/lanceStore.js';

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
    expect([...hashes.entries()].map(([source, stored]) => [source, stored.content]).sort()).toEqual([
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

  it("stores each chunk's offsets and pages and returns them with every hit", async () => {
    const { store } = await openStore();
    const cited = [
      { text: 'first', vector: [1, 0], offsets: { start: 0, end: 5 }, pages: { first: 1, last: 1 } },
      { text: 'second', vector: [0, 1], offsets: { start: 4, end: 10 }, pages: { first: 1, last: 2 } },
    ];
    await Promise.all(store.replaceSources([{ source: 'a.pdf', contentHash: 'h', chunks: cited }]));
    const [hit] = await store.search([0, 1], { limit: 1 });
    expect(hit).toMatchObject({ text: 'second', offsets: { start: 4, end: 10 }, pages: { first: 1, last: 2 } });
    await store.ensureIndexes();
    const [byText] = await store.searchText('first', { limit: 1 });
    expect(byText).toMatchObject({ text: 'first', offsets: { start: 0, end: 5 }, pages: { first: 1, last: 1 } });
  });

  it('searches a table made before the later columns read-only as it is, and never unscoped for a tenant', async () => {
    const dir = await legacyTable();
    const reader = await LanceStore.open({
      uri: dir,
      embeddingModel: 'test-embed',
      metric: 'cosine',
      readOnly: true,
    });
    expect(await reader.search([1, 1], { limit: 1 })).toMatchObject([
      { text: 'old chunk', offsets: null, metadata: {} },
    ]);
    const scoped = compileFilter({ equals: { key: 'tenant', value: 'a' } });
    await expect(reader.search([1, 1], { limit: 1, where: scoped })).rejects.toThrow(
      'the table predates tenants; the next ingest (or npm run ingest -- --reconcile) upgrades it',
    );
    // A writer adds the columns; the old chunk has no tenant until its document is synced again.
    await openStore('cosine', dir);
    expect(await reader.search([1, 1], { limit: 1, where: scoped })).toEqual([]);
  });

  it('adds the citation columns to a table made before them; its old chunks read as unknown', async () => {
    const dir = await legacyTable();
    const { store } = await openStore('cosine', dir);
    const [hit] = await store.search([1, 1], { limit: 1 });
    expect(hit).toMatchObject({ text: 'old chunk', offsets: null, pages: null });
    await Promise.all(
      store.replaceSources([
        {
          source: 'new.txt',
          contentHash: 'h',
          chunks: [{ text: 'new', vector: [1, 0], offsets: { start: 0, end: 3 }, pages: null }],
        },
      ]),
    );
    expect((await store.search([1, 0], { limit: 1 }))[0]).toMatchObject({ text: 'new', offsets: { start: 0, end: 3 } });
  });

  /** A folder holding the table as earlier versions made it (no citation, metadata or tenant columns), one chunk. */
  async function legacyTable(): Promise<string> {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'store-'));
    dirs.push(dir);
    const db = await lancedb.connect(dir);
    const schema = new Schema(
      [
        new Field('id', new Utf8(), false),
        new Field('text', new Utf8(), false),
        new Field('vector', new FixedSizeList(2, new Field('item', new Float32(), true)), false),
        new Field('source', new Utf8(), false),
        new Field('source_id', new Utf8(), false),
        new Field('chunk', new Int32(), false),
        new Field('content_hash', new Utf8(), false),
      ],
      new Map([
        ['embedding_model', 'test-embed'],
        ['metric', 'cosine'],
      ]),
    );
    const old = await db.createEmptyTable('chunks', schema);
    await old.add([
      { id: 'x:0', text: 'old chunk', vector: [1, 1], source: 'old.txt', source_id: 'x', chunk: 0, content_hash: 'h' },
    ]);
    return dir;
  }

  it('filters vector and full-text search before the limit, a quote in a value staying data', async () => {
    const { store } = await openStore();
    const doc = (source: string, n: number) => ({
      source,
      contentHash: 'h',
      chunks: Array.from({ length: n }, (_, i) => ({ text: `bridges and ports ${source} ${i}`, vector: [1, i / 10] })),
    });
    await Promise.all(
      store.replaceSources([doc('docs/eng/a.txt', 6), doc('docs/ops/b.txt', 6), doc("docs/it's.txt", 1)]),
    );
    await store.ensureIndexes();
    const eng = compileFilter({ startsWith: { key: 'source', value: 'docs/eng/' } });
    // Prefiltered: 5 of the 6 matching chunks come back, though 13 chunks compete for the limit.
    for (const hits of [
      await store.search([1, 0], { limit: 5, where: eng }),
      await store.searchText('bridges', { limit: 5, where: eng }),
    ]) {
      expect(hits).toHaveLength(5);
      expect(new Set(hits.map((h) => h.source))).toEqual(new Set(['docs/eng/a.txt']));
    }
    const quoted = compileFilter({ equals: { key: 'source', value: "docs/it's.txt" } });
    expect((await store.search([1, 0], { limit: 5, where: quoted })).map((h) => h.source)).toEqual(["docs/it's.txt"]);
    const injection = compileFilter({ equals: { key: 'source', value: "x' OR '1'='1" } });
    expect(await store.search([1, 0], { limit: 5, where: injection })).toEqual([]);
  });
});
