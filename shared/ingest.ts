import { UnsupportedDocumentError } from './errors.js';
import { checkDocumentHeader, decodeText, sha256Hex, type DocumentRules } from './document.js';
import type { Log } from './log.js';
import type { ChunkWriter, DocumentReader, Embedder } from './ports.js';
import { chunkText, type SplitOptions } from './splitter.js';

export type { DocumentReader } from './ports.js';

export interface IngestDeps {
  store: ChunkWriter;
  embedder: Embedder;
  log: Log;
  rules: DocumentRules;
  split: SplitOptions;
}

export type IngestOutcome =
  | { source: string; action: 'indexed'; chunks: number }
  | { source: string; action: 'unchanged' | 'deleted'; chunks: number }
  | { source: string; action: 'skipped'; reason: string };

/**
 * Indexes one document's text under `source`, replacing its previous chunks in one commit. Unchanged
 * content (same SHA-256) is a no-op, so S3's at-least-once delivery never duplicates or re-embeds.
 */
export async function indexDocument(source: string, bytes: Uint8Array, deps: IngestDeps): Promise<IngestOutcome> {
  const contentHash = sha256Hex(bytes);
  if ((await deps.store.sourceHash(source)) === contentHash) {
    return { source, action: 'unchanged', chunks: await deps.store.count(source) };
  }
  const text = decodeText(bytes, deps.rules.maxBytes);
  const chunks = await chunkText(text, deps.split);
  const vectors = await deps.embedder.embedDocuments(chunks);
  const stored = await deps.store.replaceSource(
    source,
    contentHash,
    chunks.map((text, i) => ({ text, vector: vectors[i]! })),
  );
  await deps.store.ensureTextIndex();
  return { source, action: 'indexed', chunks: stored };
}

/**
 * Brings the index in line with the document's *current* state, whatever the event said: S3 events
 * arrive at least once and out of order, so an old "created" after a delete must not resurrect chunks and
 * an old "removed" after a re-upload must not delete them. Unsupported documents are skipped with a
 * reason (the index is left as it was); other errors propagate so the event is retried.
 */
export async function syncDocument(name: string, reader: DocumentReader, deps: IngestDeps): Promise<IngestOutcome> {
  try {
    checkDocumentHeader(name, undefined, deps.rules);
    const bytes = await reader.read(name, (size) => checkDocumentHeader(name, size, deps.rules));
    if (bytes === null) {
      return { source: name, action: 'deleted', chunks: await deps.store.deleteSource(name) };
    }
    return await indexDocument(name, bytes, deps);
  } catch (error) {
    if (!(error instanceof UnsupportedDocumentError)) throw error;
    deps.log.warn('document skipped', { source: name, reason: error.message });
    return { source: name, action: 'skipped', reason: error.message };
  }
}
