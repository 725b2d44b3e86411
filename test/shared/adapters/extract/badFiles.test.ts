import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../../../../shared/pipeline/ingest/document.js';
import { UnsupportedDocumentError } from '../../../../shared/pipeline/errors.js';
import { extractText } from '../../../../shared/adapters/extract/index.js';
import { syncDocuments, type IngestDeps } from '../../../../shared/pipeline/ingest/ingest.js';
import { silentLog } from '../../../../shared/pipeline/log.js';
import type { AttributeType } from '../../../../shared/pipeline/metadata.js';
import type {
  ChunkInput,
  ChunkWriter,
  DocumentReader,
  SourceWrite,
  StoredVersion,
} from '../../../../shared/pipeline/ports.js';
import { badFiles, makeDocx, makeHtml, makePdf } from '../../../documents.js';

const LIMITS = { maxBytes: 1024 * 1024, maxChars: 20_000 };
const RULES = { extensions: ['.txt', '.md', '.pdf', '.html', '.htm', '.docx'], ...LIMITS };
const MATRIX = badFiles(LIMITS);

/** A chunk table that records its commits; nothing else of the port matters here. */
class RecordingWriter implements ChunkWriter {
  readonly commits: SourceWrite[][] = [];
  async sourceHashes(): Promise<Map<string, StoredVersion>> {
    return new Map();
  }
  async storedChunks(): Promise<ChunkInput[]> {
    return [];
  }
  async attributeTypes(): Promise<Record<string, AttributeType>> {
    return {};
  }
  replaceSources(writes: SourceWrite[]): Promise<number>[] {
    this.commits.push(writes);
    return writes.map(async (w) => w.chunks.length);
  }
  async ensureIndexes(): Promise<void> {}
  async optimizeIfFragmented(): Promise<boolean> {
    return false;
  }
  async count(): Promise<number> {
    return 0;
  }
  async listSources(): Promise<string[]> {
    return [];
  }
}

describe('the bad-file matrix', () => {
  it('has at least 12 hostile or broken files', () => {
    expect(MATRIX.length).toBeGreaterThanOrEqual(12);
  });

  it.each(MATRIX.map((f) => [f.label, f] as const))('refuses %s with a clear reason', async (_label, file) => {
    const refusal = extractText(`docs/${file.name}`, file.bytes, RULES);
    await expect(refusal).rejects.toBeInstanceOf(UnsupportedDocumentError);
    await expect(refusal).rejects.toThrow(file.reason);
    await expect(refusal.catch((e: Error) => e.message)).resolves.toBe(file.reason);
  });

  it('skips every one in a batch with its reason, and indexes the good documents beside them', async () => {
    const good: Record<string, Buffer> = {
      'docs/good.pdf': makePdf([['A good PDF.']]),
      'docs/good.html': Buffer.from(makeHtml('<p>A good page.</p>')),
      'docs/good.docx': makeDocx([{ text: 'A good Word file.' }]),
      'docs/good.txt': Buffer.from('A good text file.'),
    };
    const documents = new Map<string, Buffer>(Object.entries(good));
    for (const file of MATRIX) documents.set(`docs/${file.name}`, file.bytes);
    const reader: DocumentReader = {
      async read(name, checkSize) {
        const bytes = documents.get(name)!;
        checkSize(bytes.byteLength);
        return { bytes, version: 'v1', userMetadata: {}, sidecar: null };
      },
      version: async () => 'v1',
    };
    const store = new RecordingWriter();
    const deps: IngestDeps = {
      store,
      embedder: {
        modelId: 'fake',
        dimension: 1,
        embedQuery: async () => [0],
        embedDocuments: async (texts) => texts.map(() => [0]),
      },
      log: silentLog,
      extract: extractText,
      rules: RULES,
      split: { chunkSize: 500, chunkOverlap: 100 },
    };
    const results = await syncDocuments([...documents.keys()], reader, deps);
    expect(results).toEqual([
      ...Object.keys(good).map((source) => ({ source, action: 'indexed', chunks: 1 })),
      ...MATRIX.map((f) => ({ source: `docs/${f.name}`, action: 'skipped', reason: f.reason })),
    ]);
    // One commit, holding the good documents only.
    expect(store.commits).toHaveLength(1);
    expect(store.commits[0]!.map((w) => [w.source, w.contentHash, w.chunks.map((c) => c.text)])).toEqual([
      ['docs/good.pdf', sha256Hex(good['docs/good.pdf']!), ['A good PDF.']],
      ['docs/good.html', sha256Hex(good['docs/good.html']!), ['A good page.']],
      ['docs/good.docx', sha256Hex(good['docs/good.docx']!), ['A good Word file.']],
      ['docs/good.txt', sha256Hex(good['docs/good.txt']!), ['A good text file.']],
    ]);
  });

  it('keeps the rules for text files: an empty or blank one is text with nothing in it', async () => {
    await expect(extractText('docs/empty.txt', Buffer.alloc(0), RULES)).resolves.toEqual({ format: 'text', text: '' });
    await expect(extractText('docs/blank.md', Buffer.from(' \n'), RULES)).resolves.toEqual({
      format: 'text',
      text: ' \n',
    });
  });
});
