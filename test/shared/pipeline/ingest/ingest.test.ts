import { describe, expect, it } from 'vitest';
import { extractText } from '../../../../shared/adapters/extract/index.js';
import { sha256Hex } from '../../../../shared/pipeline/ingest/document.js';
import { StoreUnavailableError } from '../../../../shared/pipeline/errors.js';
import {
  indexDocument,
  syncDocument,
  syncDocuments,
  type IngestDeps,
} from '../../../../shared/pipeline/ingest/ingest.js';
import type { Log } from '../../../../shared/pipeline/log.js';
import { type AttributeType, metadataHash } from '../../../../shared/pipeline/metadata.js';
import type {
  ChunkInput,
  ChunkWriter,
  DocumentContent,
  DocumentReader,
  Embedder,
  SourceWrite,
  StatusStore,
  StoredVersion,
} from '../../../../shared/pipeline/ports.js';

/** Unit tests of the ingest pipeline's logic, with in-memory fakes of its ports. */

/** Embeds each text as [its length, its position in the call]; records every call. */
class FakeEmbedder implements Embedder {
  readonly modelId = 'fake-embed';
  readonly dimension = 2;
  readonly documentCalls: string[][] = [];

  async embedQuery(text: string): Promise<number[]> {
    return [text.length, 0];
  }

  async embedDocuments(texts: string[]): Promise<number[][]> {
    this.documentCalls.push(texts);
    return texts.map((t, i) => [t.length, i]);
  }
}

/**
 * A chunk table in memory, recording each lookup and each replaceSources call (one commit); `failWith` makes
 * every call fail with that error, `failCommitOf` fails only the commit of those sources.
 */
class FakeWriter implements ChunkWriter {
  /** Seeded sources without a metadataHash were indexed with no metadata and no tenant. */
  readonly sources = new Map<string, { hash: string; metadataHash?: string; chunks: ChunkInput[] }>();
  readonly commits: SourceWrite[][] = [];
  readonly lookups: string[][] = [];
  indexCalls = 0;
  compactions = 0;
  failWith?: Error;
  readonly failCommitOf = new Map<string, Error>();

  get replaced(): SourceWrite[] {
    return this.commits.flat();
  }

  async sourceHashes(sources: string[]): Promise<Map<string, StoredVersion>> {
    this.fail();
    this.lookups.push(sources);
    return new Map(
      sources.flatMap((s) => {
        const stored = this.sources.get(s);
        const metadata = stored?.metadataHash ?? metadataHash({}, null);
        return stored ? [[s, { content: stored.hash, metadata }] as const] : [];
      }),
    );
  }

  async storedChunks(source: string): Promise<ChunkInput[]> {
    return this.sources.get(source)?.chunks ?? [];
  }

  async attributeTypes(): Promise<Record<string, AttributeType>> {
    return {};
  }

  replaceSources(writes: SourceWrite[]): Promise<number>[] {
    this.fail();
    this.commits.push(writes);
    return writes.map(async ({ source, contentHash, chunks, metadata = {}, tenant = null }) => {
      const failure = this.failCommitOf.get(source);
      if (failure) throw failure;
      if (chunks.length === 0 && contentHash === '') this.sources.delete(source);
      else this.sources.set(source, { hash: contentHash, metadataHash: metadataHash(metadata, tenant), chunks });
      return chunks.length;
    });
  }

  async ensureIndexes(): Promise<void> {
    this.fail();
    this.indexCalls++;
  }

  async optimizeIfFragmented(): Promise<boolean> {
    this.compactions++;
    return false;
  }

  async count(source?: string): Promise<number> {
    this.fail();
    if (source !== undefined) return this.sources.get(source)?.chunks.length ?? 0;
    return [...this.sources.values()].reduce((n, s) => n + s.chunks.length, 0);
  }

  async listSources(): Promise<string[]> {
    return [...this.sources.keys()];
  }

  private fail(): void {
    if (this.failWith) throw this.failWith;
  }
}

/**
 * Documents by name (null: deleted). Like the S3 reader it declares the size (`declaredSizes`, else the byte
 * length) to `checkSize` before reading the body, and records which names were asked for and which bodies read.
 * A document's version is the hash of its bytes; `afterRead` lets a test change documents once one was read
 * (a newer upload racing the batch).
 */
class FakeDocuments implements DocumentReader {
  readonly reads: string[] = [];
  readonly bodiesRead: string[] = [];
  afterRead?: (name: string, documents: Record<string, Uint8Array | null>) => void;

  constructor(
    private readonly documents: Record<string, Uint8Array | null>,
    private readonly declaredSizes: Record<string, number> = {},
  ) {}

  async read(name: string, checkSize: (bytes: number | undefined) => void): Promise<DocumentContent | null> {
    this.reads.push(name);
    const bytes = this.documents[name] ?? null;
    if (bytes !== null) {
      checkSize(this.declaredSizes[name] ?? bytes.byteLength);
      this.bodiesRead.push(name);
    }
    this.afterRead?.(name, this.documents);
    return bytes === null ? null : { bytes, version: sha256Hex(bytes), userMetadata: {}, sidecar: null };
  }

  async version(name: string): Promise<string | null> {
    const bytes = this.documents[name] ?? null;
    return bytes === null ? null : sha256Hex(bytes);
  }
}

class RecordingLog implements Log {
  readonly warnings: { message: string; extra: Record<string, unknown>[] }[] = [];
  info(): void {}
  warn(message: string, ...extra: Record<string, unknown>[]): void {
    this.warnings.push({ message, extra });
  }
  error(): void {}
}

const MAX_BYTES = 1000;
// Each paragraph fits a 50-character chunk, two together do not: three chunks.
const PARAGRAPHS = [
  'First paragraph about the economy.',
  'Second paragraph about jobs.',
  'Third paragraph about bridges.',
];
const TEXT = PARAGRAPHS.join('\n\n');
/**
 * The chunks TEXT is indexed as: each paragraph, its vector from FakeEmbedder, and its place in TEXT (the paragraphs'
 * lengths, 34, 28 and 30, plus the two-character breaks between them); text has no pages.
 */
const PARAGRAPH_CHUNKS = [
  { text: PARAGRAPHS[0], vector: [34, 0], offsets: { start: 0, end: 34 }, pages: null },
  { text: PARAGRAPHS[1], vector: [28, 1], offsets: { start: 36, end: 64 }, pages: null },
  { text: PARAGRAPHS[2], vector: [30, 2], offsets: { start: 66, end: 96 }, pages: null },
];
const bytesOf = (text: string) => new TextEncoder().encode(text);

function setup() {
  const store = new FakeWriter();
  const embedder = new FakeEmbedder();
  const log = new RecordingLog();
  const deps: IngestDeps = {
    store,
    embedder,
    log,
    extract: extractText,
    rules: { extensions: ['.txt', '.md'], maxBytes: MAX_BYTES },
    split: { chunkSize: 50, chunkOverlap: 10 },
  };
  return { deps, store, embedder, log };
}

/** The writes a rejected document must not have caused. */
function expectUntouched({ store, embedder }: ReturnType<typeof setup>) {
  expect(embedder.documentCalls).toEqual([]);
  expect(store.replaced).toEqual([]);
  expect(store.indexCalls).toBe(0);
  expect(store.compactions).toBe(0);
}

describe('syncDocument: indexing', () => {
  it('embeds the chunks of a new document, replaces its source with the content hash and vectors, and builds the indexes', async () => {
    const ctx = setup();
    const bytes = bytesOf(TEXT);
    const outcome = await syncDocument('docs/new.txt', new FakeDocuments({ 'docs/new.txt': bytes }), ctx.deps);
    expect(outcome).toEqual({ source: 'docs/new.txt', action: 'indexed', chunks: 3 });
    expect(ctx.embedder.documentCalls).toEqual([PARAGRAPHS]);
    expect(ctx.store.replaced).toEqual([
      {
        source: 'docs/new.txt',
        contentHash: sha256Hex(bytes),
        chunks: PARAGRAPH_CHUNKS,
        metadata: {},
        tenant: null,
      },
    ]);
    expect(ctx.store.indexCalls).toBe(1);
    expect(ctx.log.warnings).toEqual([]);
  });

  it('is unchanged, without embedding or writing, when the content hash matches the stored one', async () => {
    const ctx = setup();
    const bytes = bytesOf(TEXT);
    ctx.store.sources.set('docs/same.txt', {
      hash: sha256Hex(bytes),
      chunks: [
        { text: 'a', vector: [1, 0] },
        { text: 'b', vector: [1, 1] },
      ],
    });
    const outcome = await syncDocument('docs/same.txt', new FakeDocuments({ 'docs/same.txt': bytes }), ctx.deps);
    expect(outcome).toEqual({ source: 'docs/same.txt', action: 'unchanged' });
    expectUntouched(ctx);
  });

  it('replaces the chunks of a document whose content changed', async () => {
    const ctx = setup();
    ctx.store.sources.set('docs/changed.txt', { hash: 'old-hash', chunks: [{ text: 'old', vector: [3, 0] }] });
    const bytes = bytesOf('New text.');
    const outcome = await syncDocument('docs/changed.txt', new FakeDocuments({ 'docs/changed.txt': bytes }), ctx.deps);
    expect(outcome).toEqual({ source: 'docs/changed.txt', action: 'indexed', chunks: 1 });
    expect(ctx.store.sources.get('docs/changed.txt')).toMatchObject({
      hash: sha256Hex(bytes),
      chunks: [{ text: 'New text.', vector: [9, 0], offsets: { start: 0, end: 9 }, pages: null }],
    });
  });

  it('replaces a whitespace-only document with zero chunks', async () => {
    const ctx = setup();
    const bytes = bytesOf(' \n\n\t ');
    const outcome = await syncDocument('docs/blank.txt', new FakeDocuments({ 'docs/blank.txt': bytes }), ctx.deps);
    expect(outcome).toEqual({ source: 'docs/blank.txt', action: 'indexed', chunks: 0 });
    expect(ctx.store.replaced).toEqual([
      { source: 'docs/blank.txt', contentHash: sha256Hex(bytes), chunks: [], metadata: {}, tenant: null },
    ]);
  });

  it('deletes the chunks of a document the reader no longer has and reports how many', async () => {
    const ctx = setup();
    ctx.store.sources.set('docs/gone.txt', {
      hash: 'h',
      chunks: [
        { text: 'a', vector: [1, 0] },
        { text: 'b', vector: [1, 1] },
      ],
    });
    const outcome = await syncDocument('docs/gone.txt', new FakeDocuments({ 'docs/gone.txt': null }), ctx.deps);
    expect(outcome).toEqual({ source: 'docs/gone.txt', action: 'deleted', chunks: 2 });
    expect(ctx.store.replaced).toEqual([{ source: 'docs/gone.txt', contentHash: '', chunks: [] }]);
    expect(ctx.store.sources.has('docs/gone.txt')).toBe(false);
    expect(ctx.embedder.documentCalls).toEqual([]);
  });
});

describe('syncDocument: skipped documents', () => {
  it('skips an unsupported extension with a reason, without calling the reader', async () => {
    const ctx = setup();
    const reader = new FakeDocuments({ 'docs/report.pdf': bytesOf('not really a pdf') });
    const outcome = await syncDocument('docs/report.pdf', reader, ctx.deps);
    const reason = 'unsupported file type ".pdf"; accepted: .txt, .md';
    expect(outcome).toEqual({ source: 'docs/report.pdf', action: 'skipped', reason });
    expect(reader.reads).toEqual([]);
    expect(ctx.log.warnings).toEqual([{ message: 'document skipped', extra: [{ source: 'docs/report.pdf', reason }] }]);
    expectUntouched(ctx);
  });

  it('skips a document whose declared size is over the limit before its body is read', async () => {
    const ctx = setup();
    const reader = new FakeDocuments({ 'docs/huge.txt': bytesOf('small body') }, { 'docs/huge.txt': 5000 });
    const outcome = await syncDocument('docs/huge.txt', reader, ctx.deps);
    expect(outcome).toEqual({
      source: 'docs/huge.txt',
      action: 'skipped',
      reason: 'document is 5000 bytes; the limit is 1000 bytes',
    });
    expect(reader.reads).toEqual(['docs/huge.txt']);
    expect(reader.bodiesRead).toEqual([]);
    expectUntouched(ctx);
  });

  it.each([
    [
      'binary bytes (NUL)',
      Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0x0d]),
      'document looks binary (contains NUL bytes)',
    ],
    ['invalid UTF-8', Uint8Array.from([0x63, 0x61, 0x66, 0xe9, 0x20, 0x21]), 'document is not valid UTF-8 text'],
  ])('skips %s with a reason and leaves the index alone', async (_label, bytes, reason) => {
    const ctx = setup();
    const outcome = await syncDocument('docs/odd.txt', new FakeDocuments({ 'docs/odd.txt': bytes }), ctx.deps);
    expect(outcome).toEqual({ source: 'docs/odd.txt', action: 'skipped', reason });
    expect(ctx.log.warnings).toHaveLength(1);
    expectUntouched(ctx);
  });
});

describe('syncDocument: errors that must be retried', () => {
  it.each([
    ['a plain Error', new Error('disk full')],
    ['a StoreUnavailableError', new StoreUnavailableError('object store throttled')],
  ])('propagates %s from the store instead of skipping', async (_label, failure) => {
    const ctx = setup();
    ctx.store.failWith = failure;
    await expect(
      syncDocument('docs/new.txt', new FakeDocuments({ 'docs/new.txt': bytesOf(TEXT) }), ctx.deps),
    ).rejects.toBe(failure);
    expect(ctx.log.warnings).toEqual([]);
  });

  it('propagates a reader failure instead of skipping', async () => {
    const ctx = setup();
    const failure = new Error('connect ECONNREFUSED');
    const reader: DocumentReader = { read: () => Promise.reject(failure), version: async () => null };
    await expect(syncDocument('docs/new.txt', reader, ctx.deps)).rejects.toBe(failure);
    expect(ctx.log.warnings).toEqual([]);
    expectUntouched(ctx);
  });
});

describe('indexDocument', () => {
  it('indexes bytes directly: chunks, vectors and the content hash', async () => {
    const ctx = setup();
    const bytes = bytesOf(TEXT);
    expect(await indexDocument('notes.md', bytes, ctx.deps)).toEqual({
      source: 'notes.md',
      action: 'indexed',
      chunks: 3,
    });
    expect(ctx.store.sources.get('notes.md')).toMatchObject({
      hash: sha256Hex(bytes),
      chunks: PARAGRAPH_CHUNKS,
    });
    expect(ctx.store.indexCalls).toBe(1);
  });

  it('is unchanged on the same bytes a second time, embedding only once', async () => {
    const ctx = setup();
    await indexDocument('notes.md', bytesOf(TEXT), ctx.deps);
    expect(await indexDocument('notes.md', bytesOf(TEXT), ctx.deps)).toEqual({
      source: 'notes.md',
      action: 'unchanged',
    });
    expect(ctx.embedder.documentCalls).toHaveLength(1);
    expect(ctx.store.replaced).toHaveLength(1);
  });

  it('refuses bytes over maxBytes with UnsupportedDocumentError and writes nothing', async () => {
    const ctx = setup();
    await expect(indexDocument('big.txt', new Uint8Array(MAX_BYTES + 1).fill(0x61), ctx.deps)).rejects.toMatchObject({
      name: 'UnsupportedDocumentError',
      message: `document is ${MAX_BYTES + 1} bytes; the limit is ${MAX_BYTES} bytes`,
    });
    expectUntouched(ctx);
  });
});

describe('syncDocuments: a batch', () => {
  it('looks every hash up at once and commits every changed document in one replaceSources call', async () => {
    const ctx = setup();
    const same = bytesOf('Same text.');
    ctx.store.sources.set('docs/same.txt', {
      hash: sha256Hex(same),
      chunks: [{ text: 'Same text.', vector: [10, 0] }],
    });
    ctx.store.sources.set('docs/gone.txt', { hash: 'h', chunks: [{ text: 'x', vector: [1, 0] }] });
    const reader = new FakeDocuments({
      'docs/a.txt': bytesOf('Text a.'),
      'docs/b.txt': bytesOf('Text bb.'),
      'docs/same.txt': same,
      'docs/gone.txt': null,
      'docs/c.pdf': bytesOf('%PDF'),
    });
    const results = await syncDocuments(
      ['docs/a.txt', 'docs/b.txt', 'docs/same.txt', 'docs/gone.txt', 'docs/c.pdf'],
      reader,
      ctx.deps,
    );
    expect(results.map((r) => [r.source, r.action])).toEqual([
      ['docs/a.txt', 'indexed'],
      ['docs/b.txt', 'indexed'],
      ['docs/same.txt', 'unchanged'],
      ['docs/gone.txt', 'deleted'],
      ['docs/c.pdf', 'skipped'],
    ]);
    expect(ctx.store.lookups).toEqual([['docs/a.txt', 'docs/b.txt', 'docs/same.txt', 'docs/gone.txt']]);
    expect(ctx.store.commits.map((c) => c.map((w) => w.source))).toEqual([
      ['docs/a.txt', 'docs/b.txt', 'docs/gone.txt'],
    ]);
    expect(ctx.store.indexCalls).toBe(1);
    // Compaction is checked once per batch that wrote, not per document.
    expect(ctx.store.compactions).toBe(1);
  });

  it('syncs a name listed twice once', async () => {
    const ctx = setup();
    const reader = new FakeDocuments({ 'docs/a.txt': bytesOf('Text a.') });
    const results = await syncDocuments(['docs/a.txt', 'docs/a.txt'], reader, ctx.deps);
    expect(results).toEqual([{ source: 'docs/a.txt', action: 'indexed', chunks: 1 }]);
    expect(reader.reads).toEqual(['docs/a.txt']);
  });

  it('fails only the document whose read fails; the others are committed', async () => {
    const ctx = setup();
    const failure = new Error('connect ECONNRESET');
    const good = new FakeDocuments({ 'docs/good.txt': bytesOf('Good text.') });
    const reader: DocumentReader = {
      read: (name, checkSize) => (name === 'docs/bad.txt' ? Promise.reject(failure) : good.read(name, checkSize)),
      version: (name) => good.version(name),
    };
    const results = await syncDocuments(['docs/bad.txt', 'docs/good.txt'], reader, ctx.deps);
    expect(results).toEqual([
      { source: 'docs/bad.txt', action: 'failed', error: failure },
      { source: 'docs/good.txt', action: 'indexed', chunks: 1 },
    ]);
    expect([...ctx.store.sources.keys()]).toEqual(['docs/good.txt']);
  });

  it('fails the documents whose commit fails and reports the others as indexed', async () => {
    const ctx = setup();
    const failure = new StoreUnavailableError('throttled');
    ctx.store.failCommitOf.set('docs/b.txt', failure);
    const reader = new FakeDocuments({ 'docs/a.txt': bytesOf('Text a.'), 'docs/b.txt': bytesOf('Text b.') });
    const results = await syncDocuments(['docs/a.txt', 'docs/b.txt'], reader, ctx.deps);
    expect(results).toEqual([
      { source: 'docs/a.txt', action: 'indexed', chunks: 1 },
      { source: 'docs/b.txt', action: 'failed', error: failure },
    ]);
  });

  it('writes nothing for a deleted document that was never indexed', async () => {
    const ctx = setup();
    const results = await syncDocuments(['docs/never.txt'], new FakeDocuments({}), ctx.deps);
    expect(results).toEqual([{ source: 'docs/never.txt', action: 'deleted', chunks: 0 }]);
    expectUntouched(ctx);
  });
});

describe('syncDocuments: a newer upload racing the batch', () => {
  it('fails a document re-uploaded after it was read, so it is synced again, and keeps the others', async () => {
    const ctx = setup();
    const reader = new FakeDocuments({ 'docs/raced.txt': bytesOf('Version one.'), 'docs/calm.txt': bytesOf('Calm.') });
    // Another batch's upload lands between this batch's read and its commit.
    reader.afterRead = (name, documents) => {
      if (name === 'docs/raced.txt') documents[name] = bytesOf('Version two.');
    };
    const results = await syncDocuments(['docs/raced.txt', 'docs/calm.txt'], reader, ctx.deps);
    expect(results[0]).toMatchObject({ source: 'docs/raced.txt', action: 'failed' });
    expect((results[0] as { error: Error }).error.name).toBe('DocumentChangedError');
    expect(results[1]).toEqual({ source: 'docs/calm.txt', action: 'indexed', chunks: 1 });
    // The retry reads the current version and indexes it.
    reader.afterRead = undefined;
    expect(await syncDocuments(['docs/raced.txt'], reader, ctx.deps)).toEqual([
      { source: 'docs/raced.txt', action: 'indexed', chunks: 1 },
    ]);
    expect(ctx.store.sources.get('docs/raced.txt')!.chunks.map((c) => c.text)).toEqual(['Version two.']);
  });

  it('fails a deletion when the document was uploaded again before the deletion committed', async () => {
    const ctx = setup();
    ctx.store.sources.set('docs/back.txt', { hash: 'h', chunks: [{ text: 'old', vector: [3, 0] }] });
    const reader = new FakeDocuments({ 'docs/back.txt': null });
    reader.afterRead = (name, documents) => {
      documents[name] = bytesOf('Uploaded again.');
    };
    const [result] = await syncDocuments(['docs/back.txt'], reader, ctx.deps);
    expect(result).toMatchObject({ source: 'docs/back.txt', action: 'failed' });
    expect((result as { error: Error }).error.name).toBe('DocumentChangedError');
  });
});

describe('syncDocuments: bounds', () => {
  it('commits as it goes once maxPendingChunks wait, and still reports every document', async () => {
    const ctx = setup();
    const names = ['docs/1.txt', 'docs/2.txt', 'docs/3.txt'];
    const reader = new FakeDocuments(Object.fromEntries(names.map((n) => [n, bytesOf(TEXT)])));
    const results = await syncDocuments(names, reader, ctx.deps, { maxPendingChunks: 4 });
    expect(results).toEqual(names.map((source) => ({ source, action: 'indexed', chunks: 3 })));
    // 3 chunks each: the second document makes 6 ≥ 4 and flushes; the third commits at the end.
    expect(ctx.store.commits.map((c) => c.map((w) => w.source))).toEqual([
      ['docs/1.txt', 'docs/2.txt'],
      ['docs/3.txt'],
    ]);
    expect([...ctx.store.sources.values()].map((v) => v.chunks.length)).toEqual([3, 3, 3]);
  });

  it('starts no document once out of time: those fail with a DeadlineError, the ones done are committed', async () => {
    const ctx = setup();
    const names = ['docs/1.txt', 'docs/2.txt', 'docs/3.txt'];
    const reader = new FakeDocuments(Object.fromEntries(names.map((n) => [n, bytesOf(`Text of ${n}.`)])));
    // Out of time from the start: the first document still runs (a batch always makes progress), no other does.
    const results = await syncDocuments(names, reader, ctx.deps, { outOfTime: () => true });
    expect(results[0]).toEqual({ source: 'docs/1.txt', action: 'indexed', chunks: 1 });
    for (const r of results.slice(1)) {
      expect(r).toMatchObject({ action: 'failed' });
      expect((r as { error: Error }).error.name).toBe('DeadlineError');
    }
    expect(reader.reads).toEqual(['docs/1.txt']);
    expect([...ctx.store.sources.keys()]).toEqual(['docs/1.txt']);
  });
});

/** A status store whose every call takes a few ticks, recording when each ended; `failRecord` fails record. */
class SlowStatuses implements StatusStore {
  readonly ended: string[] = [];
  failRecord?: Error;
  async #slowly<T>(what: string, value: T): Promise<T> {
    await new Promise((resolve) => setTimeout(resolve, 20));
    this.ended.push(what);
    return value;
  }
  compactIfFragmented = () => this.#slowly('compact', false);
  mark = async () => new Map();
  getMany = () => this.#slowly('getMany', new Map());
  record = async () => {
    await this.#slowly('record', undefined);
    if (this.failRecord) throw this.failRecord;
  };
  get = async () => null;
  list = async () => ({ documents: [], next: null });
}

describe('syncDocuments: nothing left running once it settles (a Lambda freezes what runs on)', () => {
  it('has finished reading the statuses when it rejects before any commit', async () => {
    const ctx = setup();
    const statuses = new SlowStatuses();
    ctx.store.failWith = new Error('chunk table unreachable');
    const reader = new FakeDocuments({ 'docs/a.txt': bytesOf(TEXT) });
    await expect(syncDocuments(['docs/a.txt'], reader, { ...ctx.deps, statuses })).rejects.toThrow(
      'chunk table unreachable',
    );
    expect(statuses.ended).toEqual(['compact', 'getMany']);
  });

  it("fails the batch's documents when their outcomes are not recorded, once the chunk table's upkeep is done", async () => {
    const ctx = setup();
    const statuses = new SlowStatuses();
    statuses.failRecord = new Error('status table unreachable');
    let upkeepDone = false;
    ctx.store.optimizeIfFragmented = async () => {
      await new Promise((resolve) => setTimeout(resolve, 60));
      upkeepDone = true;
      return false;
    };
    const reader = new FakeDocuments({ 'docs/a.txt': bytesOf(TEXT) });
    const [result] = await syncDocuments(['docs/a.txt'], reader, { ...ctx.deps, statuses });
    expect(result).toMatchObject({ source: 'docs/a.txt', action: 'failed', error: statuses.failRecord });
    expect(upkeepDone).toBe(true);
  });
});
