import { mkdtempSync, rmSync } from 'node:fs';
import { extractText } from '../../../../shared/adapters/extract/index.js';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../../../shared/pipeline/ingest/document.js';
import { filterFieldsOf, searchFilterOf, type FilterExpression } from '../../../../shared/pipeline/query/filters.js';
import { syncDocuments, type IngestDeps } from '../../../../shared/pipeline/ingest/ingest.js';
import type { Log } from '../../../../shared/pipeline/log.js';
import type { DocumentContent, DocumentReader, Embedder } from '../../../../shared/pipeline/ports.js';
import { RETRIEVAL_MODES, retrieve } from '../../../../shared/pipeline/query/retrieval.js';
import { LanceStore } from '../../../../shared/adapters/lancedb/lanceStore.js';
import { DEFAULT_TENANCY, type TenancySettings } from '../../../../shared/pipeline/tenants.js';

/** Metadata and tenants end to end through ingestion and the real LanceDB store (a local folder). */

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Vectors from the text's length and vowels: different texts differ, and every call is counted. */
class CountingEmbedder implements Embedder {
  readonly modelId = 'counting';
  readonly dimension = 2;
  embedded = 0;
  async embedQuery(text: string): Promise<number[]> {
    return [1, text.length % 7];
  }
  async embedDocuments(texts: string[]): Promise<number[][]> {
    this.embedded += texts.length;
    return texts.map((t) => [1, (t.match(/[aeiou]/g)?.length ?? 0) / t.length]);
  }
}

interface StoredObject {
  text: string;
  userMetadata?: Record<string, string>;
  sidecar?: unknown;
}

/** A bucket in memory: documents with their user metadata and sidecars (a sidecar of `undefined` is absent). */
class Bucket implements DocumentReader {
  readonly objects = new Map<string, StoredObject>();
  async read(name: string): Promise<DocumentContent | null> {
    const object = this.objects.get(name);
    if (!object) return null;
    return {
      bytes: new TextEncoder().encode(object.text),
      version: this.#versionOf(object),
      userMetadata: object.userMetadata ?? {},
      sidecar: object.sidecar === undefined ? null : new TextEncoder().encode(JSON.stringify(object.sidecar)),
    };
  }
  async version(name: string): Promise<string | null> {
    const object = this.objects.get(name);
    return object ? this.#versionOf(object) : null;
  }
  #versionOf(object: StoredObject): string {
    return sha256Hex(JSON.stringify(object));
  }
}

class RecordingLog implements Log {
  readonly warnings: { message: string; fields: Record<string, unknown> }[] = [];
  info(): void {}
  error(): void {}
  warn(message: string, fields: Record<string, unknown> = {}): void {
    this.warnings.push({ message, fields });
  }
}

async function setup(tenancy: TenancySettings = DEFAULT_TENANCY) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'metadata-'));
  dirs.push(dir);
  const store = await LanceStore.open({ uri: dir, embeddingModel: 'counting', dimension: 2, metric: 'cosine' });
  const embedder = new CountingEmbedder();
  const log = new RecordingLog();
  const deps: IngestDeps = {
    store,
    embedder,
    log,
    extract: extractText,
    rules: { extensions: ['.txt'], maxBytes: 1e6 },
    split: { chunkSize: 60, chunkOverlap: 0 },
    tenancy,
  };
  const bucket = new Bucket();
  return { store, embedder, log, deps, bucket, sync: (...names: string[]) => syncDocuments(names, bucket, deps) };
}

const TEXT = 'Bridges and ports were rebuilt this year. The tunnel opened in spring. Rail lines reached the coast.';

/** Sources of the chunks a filter lets through, in vector search (the store's own prefilter). */
async function sourcesMatching(store: LanceStore, filter: FilterExpression, tenant: string | null = null) {
  const fields = filterFieldsOf(await store.attributeTypes());
  const hits = await store.search([1, 0.3], { limit: 100, ...searchFilterOf(filter, fields, tenant) });
  return [...new Set(hits.map((h) => h.source))].sort();
}

describe('metadata through ingestion', () => {
  it('stores sidecar and user metadata as typed attributes on every chunk, the sidecar winning', async () => {
    const { store, bucket, sync } = await setup();
    bucket.objects.set('docs/plan.txt', {
      text: TEXT,
      userMetadata: { team: 'ops', customer: 'acme' },
      sidecar: { metadataAttributes: { team: 'eng', year: 2024, draft: false, tags: ['q4', 'infra'] } },
    });
    expect(await sync('docs/plan.txt')).toEqual([{ source: 'docs/plan.txt', action: 'indexed', chunks: 2 }]);
    expect(await store.attributeTypes()).toEqual({
      team: 'string',
      customer: 'string',
      year: 'number',
      draft: 'boolean',
      tags: 'string[]',
    });
    const hits = await store.search([1, 0.3], { limit: 10 });
    expect(hits).toHaveLength(2);
    for (const hit of hits) {
      expect(hit.metadata).toEqual({ team: 'eng', customer: 'acme', year: 2024, draft: false, tags: ['q4', 'infra'] });
    }
  });

  it('filters on each type in vector, full-text and hybrid retrieval, prefiltered so matches fill k', async () => {
    const { store, bucket, sync, embedder } = await setup();
    for (let i = 0; i < 6; i++) {
      bucket.objects.set(`docs/d${i}.txt`, {
        text: `${TEXT} Document ${i}.`,
        sidecar: { metadataAttributes: { year: 2019 + i, team: i % 2 ? 'eng' : 'ops', tags: [`t${i}`, 'all'] } },
      });
    }
    await sync(...[...bucket.objects.keys()]);
    await store.ensureIndexes();
    const filter: FilterExpression = {
      andAll: [{ equals: { key: 'team', value: 'eng' } }, { greaterThan: { key: 'year', value: 2020 } }],
    };
    const fields = filterFieldsOf(await store.attributeTypes());
    // Each document has two chunks, one of them with "bridges": full-text search finds two of the four that match.
    const expected = { vector: 4, fts: 2, hybrid: 4 };
    for (const mode of RETRIEVAL_MODES) {
      const { hits } = await retrieve('bridges', embedder, store, { mode, k: 4, ...searchFilterOf(filter, fields) });
      expect(hits, mode).toHaveLength(expected[mode]);
      expect(new Set(hits.map((h) => h.source)), mode).toEqual(new Set(['docs/d3.txt', 'docs/d5.txt']));
    }
    expect(await sourcesMatching(store, { listContains: { key: 'tags', value: 't2' } })).toEqual(['docs/d2.txt']);
    expect(await sourcesMatching(store, { in: { key: 'year', value: [2019, 2024] } })).toEqual([
      'docs/d0.txt',
      'docs/d5.txt',
    ]);
  });

  it('re-applies a changed sidecar without re-embedding: same vectors, new attributes', async () => {
    const { store, bucket, sync, embedder } = await setup();
    bucket.objects.set('docs/plan.txt', { text: TEXT, sidecar: { metadataAttributes: { team: 'eng' } } });
    await sync('docs/plan.txt');
    const embedded = embedder.embedded;
    const before = await store.storedChunks('docs/plan.txt');
    bucket.objects.set('docs/plan.txt', { text: TEXT, sidecar: { metadataAttributes: { team: 'ops', year: 2025 } } });
    // The event names the sidecar: its document is what gets synced.
    expect(await sync('docs/plan.txt.metadata.json')).toEqual([
      { source: 'docs/plan.txt', action: 'metadata', chunks: 2 },
    ]);
    expect(embedder.embedded).toBe(embedded);
    expect(await store.storedChunks('docs/plan.txt')).toEqual(before);
    expect(await sourcesMatching(store, { equals: { key: 'team', value: 'eng' } })).toEqual([]);
    expect(await sourcesMatching(store, { equals: { key: 'team', value: 'ops' } })).toEqual(['docs/plan.txt']);
    expect(await sync('docs/plan.txt.metadata.json')).toEqual([{ source: 'docs/plan.txt', action: 'unchanged' }]);
  });

  it('removes the metadata when the sidecar is deleted, keeping the user metadata', async () => {
    const { store, bucket, sync, embedder } = await setup();
    bucket.objects.set('docs/plan.txt', {
      text: TEXT,
      userMetadata: { customer: 'acme' },
      sidecar: { metadataAttributes: { team: 'eng', year: 2024 } },
    });
    await sync('docs/plan.txt');
    const embedded = embedder.embedded;
    bucket.objects.set('docs/plan.txt', { text: TEXT, userMetadata: { customer: 'acme' } });
    expect(await sync('docs/plan.txt.metadata.json')).toEqual([
      { source: 'docs/plan.txt', action: 'metadata', chunks: 2 },
    ]);
    expect(embedder.embedded).toBe(embedded);
    for (const hit of await store.search([1, 0.3], { limit: 10 })) expect(hit.metadata).toEqual({ customer: 'acme' });
    expect(await sourcesMatching(store, { equals: { key: 'team', value: 'eng' } })).toEqual([]);
    expect(await sourcesMatching(store, { notEquals: { key: 'team', value: 'eng' } })).toEqual(['docs/plan.txt']);
  });

  it('skips an attribute whose type differs from the column other documents made, with a logged reason', async () => {
    const { store, bucket, sync, log } = await setup();
    bucket.objects.set('docs/a.txt', { text: TEXT, sidecar: { metadataAttributes: { year: 2024, team: 'eng' } } });
    await sync('docs/a.txt');
    bucket.objects.set('docs/b.txt', { text: TEXT, sidecar: { metadataAttributes: { year: 'last', team: 'ops' } } });
    expect(await sync('docs/b.txt')).toEqual([{ source: 'docs/b.txt', action: 'indexed', chunks: 2 }]);
    expect(log.warnings).toContainEqual({
      message: 'metadata attribute skipped',
      fields: { source: 'docs/b.txt', attribute: 'year', reason: 'holds string; other documents\' "year" is number' },
    });
    const b = (await store.search([1, 0.3], { limit: 10, source: 'docs/b.txt' }))[0]!;
    expect(b.metadata).toEqual({ team: 'ops' });
  });

  it('skips a document whose sidecar is broken, leaving its indexed chunks as they were', async () => {
    const { store, bucket, sync } = await setup();
    bucket.objects.set('docs/plan.txt', { text: TEXT, sidecar: { metadataAttributes: { team: 'eng' } } });
    await sync('docs/plan.txt');
    bucket.objects.set('docs/plan.txt', { text: 'Changed text.', sidecar: ['not', 'the', 'shape'] });
    const [result] = await sync('docs/plan.txt');
    expect(result).toEqual({
      source: 'docs/plan.txt',
      action: 'skipped',
      reason: 'metadata sidecar needs {"metadataAttributes": {name: value, ...}}',
    });
    const hits = await store.search([1, 0.3], { limit: 10 });
    expect(hits.map((h) => [h.text.slice(0, 7), h.metadata]).sort()).toEqual(
      [
        ['Bridges', { team: 'eng' }],
        ['in spri', { team: 'eng' }],
      ].sort(),
    );
  });
});

describe('tenants through ingestion and retrieval', () => {
  /** Two tenants with the same words, so only the scope tells their chunks apart. */
  async function twoTenants(tenancy?: TenancySettings) {
    const context = await setup(tenancy);
    context.bucket.objects.set('docs/a/plan.txt', { text: TEXT, sidecar: { metadataAttributes: { owner: 'b' } } });
    context.bucket.objects.set('docs/b/plan.txt', { text: TEXT, sidecar: { metadataAttributes: { owner: 'a' } } });
    context.bucket.objects.set('docs/shared.txt', { text: TEXT });
    await context.sync(...context.bucket.objects.keys());
    await context.store.ensureIndexes();
    return context;
  }

  it("never returns another tenant's chunks in any mode, whatever the filter asks for", async () => {
    const { store, embedder } = await twoTenants();
    const fields = filterFieldsOf(await store.attributeTypes());
    const widening: FilterExpression = {
      orAll: [{ startsWith: { key: 'source', value: 'docs/' } }, { equals: { key: 'tenant', value: 'b' } }],
    };
    for (const filter of [undefined, widening]) {
      for (const mode of RETRIEVAL_MODES) {
        const { hits } = await retrieve('bridges tunnel', embedder, store, {
          mode,
          k: 20,
          ...searchFilterOf(filter, fields, 'a'),
        });
        expect(hits.length, mode).toBeGreaterThan(0);
        expect(new Set(hits.map((h) => h.source)), mode).toEqual(new Set(['docs/a/plan.txt']));
      }
    }
    expect(await sourcesMatching(store, { equals: { key: 'tenant', value: 'b' } }, 'a')).toEqual([]);
  });

  it('takes the tenant from a metadata attribute when configured, and moves a document when it changes', async () => {
    const { store, bucket, sync } = await twoTenants({ ...DEFAULT_TENANCY, attribute: 'owner' });
    expect(await sourcesMatching(store, { startsWith: { key: 'source', value: 'docs/' } }, 'a')).toEqual([
      'docs/b/plan.txt',
    ]);
    bucket.objects.set('docs/b/plan.txt', { text: TEXT, sidecar: { metadataAttributes: { owner: 'c' } } });
    expect(await sync('docs/b/plan.txt.metadata.json')).toEqual([
      { source: 'docs/b/plan.txt', action: 'metadata', chunks: 2 },
    ]);
    expect(await sourcesMatching(store, { startsWith: { key: 'source', value: 'docs/' } }, 'a')).toEqual([]);
    expect(await sourcesMatching(store, { startsWith: { key: 'source', value: 'docs/' } }, 'c')).toEqual([
      'docs/b/plan.txt',
    ]);
  });
});
