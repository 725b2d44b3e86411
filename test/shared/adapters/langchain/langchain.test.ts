import { ContextualCompressionRetriever } from '@langchain/classic/retrievers/contextual_compression';
import { extractText } from '../../../../shared/adapters/extract/index.js';
import { Document } from '@langchain/core/documents';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TransformersEmbedder } from '../../../../shared/adapters/transformers/embedder.js';
import { FileDocumentReader } from '../../../../shared/adapters/fs/fileDocuments.js';
import { indexDocument, syncDocuments } from '../../../../shared/pipeline/ingest/ingest.js';
import { ChunkRetriever } from '../../../../shared/adapters/langchain/chunkRetriever.js';
import { CrossEncoderReranker } from '../../../../shared/adapters/langchain/crossEncoderReranker.js';
import { silentLog } from '../../../../shared/pipeline/log.js';
import { configureModelHub } from '../../../../shared/adapters/transformers/hub.js';
import { LocalCrossEncoder } from '../../../../shared/adapters/transformers/localCrossEncoder.js';
import { LanceStore } from '../../../../shared/adapters/lancedb/lanceStore.js';
import { DEFAULT_TENANCY } from '../../../../shared/pipeline/tenants.js';
import { FIXTURE_MODELS, SAMPLE_DOCUMENT } from '../../../helpers.js';
import type { CrossEncoder } from '../../../../shared/pipeline/ports.js';

let dir: string;
let encoder: LocalCrossEncoder;
let retriever: ChunkRetriever;
let embedder: TransformersEmbedder;
let store: LanceStore;

beforeAll(async () => {
  configureModelHub({ dir: FIXTURE_MODELS, allowRemote: false });
  dir = mkdtempSync(path.join(os.tmpdir(), 'lc-'));
  embedder = await TransformersEmbedder.create({ model: 'tiny-embed' });
  store = await LanceStore.open({
    uri: dir,
    embeddingModel: 'tiny-embed',
    dimension: embedder.dimension,
    metric: 'cosine',
  });
  await indexDocument('sotu.txt', readFileSync(SAMPLE_DOCUMENT), {
    store,
    embedder,
    log: silentLog,
    extract: extractText,
    rules: { extensions: ['.txt'], maxBytes: 1e7 },
    split: { chunkSize: 500, chunkOverlap: 100 },
  });
  encoder = await LocalCrossEncoder.create({ model: 'tiny-ce', dtype: 'fp32' });
  retriever = new ChunkRetriever({ embedder, store, k: 20 });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('CrossEncoderReranker', () => {
  it('reranks the base retriever’s 20 documents inside ContextualCompressionRetriever', async () => {
    const query = 'What is the plan for the economy?';
    // A model whose scores are known: a passage's length. The reranker must keep the three longest candidates, in
    // that order, each with its length as relevanceScore.
    const byLength: CrossEncoder = { name: 'by-length', score: async (pairs) => pairs.map(([, p]) => p.length) };
    const compression = new ContextualCompressionRetriever({
      baseCompressor: new CrossEncoderReranker({ model: byLength, topN: 3 }),
      baseRetriever: retriever,
    });
    const docs = await compression.invoke(query);
    const candidates = (await retriever.invoke(query)).map((d) => d.pageContent);
    expect(candidates).toHaveLength(20);
    const lengths = docs.map((d) => d.pageContent.length);
    expect(docs.map((d) => d.metadata.relevanceScore)).toEqual(lengths);
    expect(lengths).toEqual([...lengths].sort((a, b) => b - a));
    const longest = Math.max(...candidates.map((c) => c.length));
    expect(lengths[0]).toBe(longest);
    // None left out is longer than the shortest kept.
    const kept = new Set(docs.map((d) => d.pageContent));
    for (const c of candidates) if (!kept.has(c)) expect(c.length).toBeLessThanOrEqual(lengths[2]!);
    expect(docs.every((d) => d.metadata.source === 'sotu.txt')).toBe(true);
  });

  it('returns new documents and leaves the inputs untouched', async () => {
    const input = [
      new Document({ pageContent: 'a', metadata: { k: 1 } }),
      new Document({ pageContent: 'b', metadata: {} }),
    ];
    const out = await new CrossEncoderReranker({ model: encoder, topN: 1 }).compressDocuments(input, 'q');
    expect(out).toHaveLength(1);
    expect(input[0]!.metadata).toEqual({ k: 1 });
    expect(input.some((d) => d === out[0])).toBe(false);
  });

  it('returns nothing for no documents', async () => {
    expect(await new CrossEncoderReranker({ model: encoder }).compressDocuments([], 'q')).toEqual([]);
  });
});

describe('ChunkRetriever filters and citations', () => {
  it("keeps to a Bedrock-style filter and carries each chunk's offsets in metadata", async () => {
    const sample = readFileSync(SAMPLE_DOCUMENT, 'utf8');
    const kept = await new ChunkRetriever({
      embedder,
      store,
      k: 5,
      filter: { startsWith: { key: 'source', value: 'sotu' } },
    }).invoke('economy');
    expect(kept).toHaveLength(5);
    for (const doc of kept) {
      const { start, end } = doc.metadata.offsets as { start: number; end: number };
      expect(sample.slice(start, end)).toBe(doc.pageContent);
    }
    const none = new ChunkRetriever({ embedder, store, filter: { equals: { key: 'source', value: 'other.txt' } } });
    expect(await none.invoke('economy')).toEqual([]);
  });

  it('refuses a malformed filter when it is made, and a key the table lacks at its query', async () => {
    expect(() => new ChunkRetriever({ embedder, store, filter: { like: { key: 'source' } } as never })).toThrow();
    const unknown = new ChunkRetriever({ embedder, store, filter: { equals: { key: 'region', value: 'eu' } } });
    await expect(unknown.invoke('economy')).rejects.toThrow('filter: unknown key "region"; filterable: source, tenant');
  });
});

describe('ChunkRetriever over documents with metadata sidecars (files, as the ingest CLI reads them)', () => {
  let docs: string;
  let metaStore: LanceStore;
  beforeAll(async () => {
    docs = mkdtempSync(path.join(os.tmpdir(), 'lc-docs-'));
    const sample = readFileSync(SAMPLE_DOCUMENT, 'utf8').slice(0, 2000);
    const files: [string, Record<string, unknown>][] = [
      ['acme/plan.txt', { team: 'eng', year: 2024, tags: ['q4'] }],
      ['globex/plan.txt', { team: 'ops', year: 2024 }],
    ];
    for (const [name, attributes] of files) {
      mkdirSync(path.dirname(path.join(docs, name)), { recursive: true });
      writeFileSync(path.join(docs, name), sample);
      writeFileSync(path.join(docs, `${name}.metadata.json`), JSON.stringify({ metadataAttributes: attributes }));
    }
    metaStore = await LanceStore.open({
      uri: path.join(docs, '.lancedb'),
      embeddingModel: 'tiny-embed',
      dimension: embedder.dimension,
      metric: 'cosine',
    });
    const deps = {
      store: metaStore,
      embedder,
      log: silentLog,
      extract: extractText,
      rules: { extensions: ['.txt'], maxBytes: 1e7 },
      split: { chunkSize: 500, chunkOverlap: 100 },
      tenancy: { ...DEFAULT_TENANCY, documentsPrefix: `${docs}/` },
    };
    const names = files.flatMap(([name]) => [path.join(docs, name), path.join(docs, `${name}.metadata.json`)]);
    const results = await syncDocuments(names, new FileDocumentReader(), deps);
    expect(results.map((r) => r.action)).toEqual(['indexed', 'indexed']);
  });
  afterAll(() => rmSync(docs, { recursive: true, force: true }));

  it("filters on metadata and carries each document's attributes in metadata.attributes", async () => {
    const eng = await new ChunkRetriever({
      embedder,
      store: metaStore,
      filter: { listContains: { key: 'tags', value: 'q4' } },
    }).invoke('economy');
    expect(eng.length).toBeGreaterThan(0);
    for (const doc of eng) {
      expect(doc.metadata.source).toBe(path.join(docs, 'acme/plan.txt'));
      expect(doc.metadata.attributes).toEqual({ team: 'eng', year: 2024, tags: ['q4'] });
    }
  });

  it('keeps to its tenant whatever its filter asks for', async () => {
    const globex = await new ChunkRetriever({
      embedder,
      store: metaStore,
      tenant: 'globex',
      filter: { orAll: [{ equals: { key: 'team', value: 'eng' } }, { equals: { key: 'tenant', value: 'acme' } }] },
    }).invoke('economy');
    expect(globex).toEqual([]);
    const own = await new ChunkRetriever({ embedder, store: metaStore, tenant: 'globex' }).invoke('economy');
    expect(new Set(own.map((d) => d.metadata.source))).toEqual(new Set([path.join(docs, 'globex/plan.txt')]));
  });
});
