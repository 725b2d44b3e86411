import { DeadlineError, DocumentChangedError, UnsupportedDocumentError } from '../errors.js';
import { checkDocumentHeader, sha256Hex, type DocumentRules } from './document.js';
import type { Log } from '../log.js';
import {
  type Attributes,
  type AttributeType,
  attributeTypeOf,
  documentKeyOf,
  documentMetadata,
  METADATA_LIMITS,
  metadataHash,
} from '../metadata.js';
import type {
  ChunkWriter,
  DocumentContent,
  DocumentReader,
  Embedder,
  StatusStore,
  StoredVersion,
  TextExtractor,
} from '../ports.js';
import { locateChunks, pagesOf } from './citations.js';
import { chunkText, type SplitOptions } from './splitter.js';
import { BatchCommit, type IngestFailure, type IngestOutcome, type Prepared, type SyncResult } from './batchCommit.js';
import { DEFAULT_TENANCY, type TenancySettings, tenantOf } from '../tenants.js';
import { type DocumentFacts, recordStatuses } from './statuses.js';
import type { DocumentStatus } from './records.js';

export type { DocumentReader } from '../ports.js';

export interface IngestDeps {
  store: ChunkWriter;
  embedder: Embedder;
  /** Reads each format's text (shared/adapters/extract/ on AWS, locally and in tests). */
  extract: TextExtractor;
  log: Log;
  rules: DocumentRules;
  split: SplitOptions;
  /** Where each document's tenant comes from. @default DEFAULT_TENANCY */
  tenancy?: TenancySettings;
  /** Where each document's status is kept; without it, none is (library callers, the eval CLI). */
  statuses?: StatusStore;
}

/**
 * A document's attributes that fit the table: one whose column (or that of an earlier document of the batch)
 * holds another type, or a new one once the table has METADATA_LIMITS.maxAttributeColumns, is skipped with a
 * logged reason.
 */
function conformingAttributes(
  source: string,
  content: DocumentContent,
  types: ReadonlyMap<string, AttributeType>,
  deps: IngestDeps,
): Attributes {
  const { attributes, skipped } = documentMetadata(content.userMetadata, content.sidecar);
  let columns = types.size;
  for (const [name, value] of Object.entries(attributes)) {
    const type = attributeTypeOf(value)!;
    const known = types.get(name);
    let reason: string | null = null;
    if (known !== undefined && known !== type) reason = `holds ${type}; other documents' "${name}" is ${known}`;
    if (known === undefined && ++columns > METADATA_LIMITS.maxAttributeColumns)
      reason = `the table has ${METADATA_LIMITS.maxAttributeColumns} attribute columns, the most it takes`;
    if (reason) {
      skipped.push({ name, reason });
      delete attributes[name];
    }
  }
  for (const { name, reason } of skipped)
    deps.log.warn('metadata attribute skipped', { source, attribute: name, reason });
  return attributes;
}

/**
 * Splits and embeds new content; unchanged content (same SHA-256 as stored) needs nothing, or only its new metadata
 * (the stored chunks and vectors re-written with it: never re-embedded).
 */
async function prepareDocument(
  source: string,
  content: DocumentContent,
  stored: StoredVersion | undefined,
  types: ReadonlyMap<string, AttributeType>,
  deps: IngestDeps,
  facts?: Map<string, DocumentFacts>,
): Promise<Prepared> {
  const metadata = conformingAttributes(source, content, types, deps);
  const tenant = tenantOf(source, metadata, deps.tenancy ?? DEFAULT_TENANCY);
  const contentHash = sha256Hex(content.bytes);
  facts?.set(source, { bytes: content.bytes.byteLength, contentHash, tenant, metadata, version: content.version });
  if (stored?.content === contentHash) {
    if (stored.metadata === metadataHash(metadata, tenant)) return { source, action: 'unchanged' };
    const chunks = await deps.store.storedChunks(source);
    return { write: { source, contentHash, chunks, metadata, tenant }, action: 'metadata', chunks: chunks.length };
  }
  const { text: extracted, pages } = await deps.extract(source, content.bytes, deps.rules);
  const texts = await chunkText(extracted, deps.split);
  const vectors = await deps.embedder.embedDocuments(texts);
  const spans = locateChunks(extracted, texts);
  const chunks = texts.map((text, i) => {
    const offsets = spans[i]!;
    return { text, vector: vectors[i]!, offsets, pages: offsets ? pagesOf(offsets, pages) : null };
  });
  return { write: { source, contentHash, chunks, metadata, tenant }, action: 'indexed', chunks: chunks.length };
}

/**
 * Indexes one document's text under `source` (with no metadata), replacing its previous chunks in one commit.
 * Unchanged content (same SHA-256) is a no-op, so S3's at-least-once delivery never duplicates or re-embeds.
 */
export async function indexDocument(source: string, bytes: Uint8Array, deps: IngestDeps): Promise<IngestOutcome> {
  const stored = (await deps.store.sourceHashes([source])).get(source);
  const content = { bytes, version: '', userMetadata: {}, sidecar: null };
  const prepared = await prepareDocument(source, content, stored, new Map(), deps);
  const batch = new BatchCommit(deps);
  if ('write' in prepared) await batch.add(prepared);
  await batch.flush();
  const result = batch.resultOf(prepared);
  if (result.action === 'failed') throw result.error;
  return result;
}

export interface SyncOptions {
  /**
   * Asked before each document after the first is read: true when there is no time left to index another one (a
   * Lambda near its timeout). The documents not started are `failed` with a DeadlineError, so their messages come back, and the
   * ones done are committed and checked as usual.
   */
  outOfTime?: () => boolean;
  /** New chunks held before they are committed (the rest of the batch commits later). @default MAX_PENDING_CHUNKS */
  maxPendingChunks?: number;
}

/**
 * Brings the index in line with each document's *current* state, whatever the events said: S3 events arrive
 * at least once and out of order, so an old "created" after a delete must not resurrect chunks and an old
 * "removed" after a re-upload must not delete them. The batch shares one hash lookup and one commit (while it
 * fits a commit's bounds), so its cost does not grow with the table. Unsupported documents are skipped with a
 * reason and the index is left as it was; a document whose read or commit fails is `failed` (retry it) and
 * the others still land. A metadata sidecar's name stands for its document (its metadata is re-applied). Results
 * come in the order of the distinct document names.
 */
export async function syncDocuments(
  names: string[],
  reader: DocumentReader,
  deps: IngestDeps,
  options: SyncOptions = {},
): Promise<SyncResult[]> {
  const distinct = [...new Set(names.map(documentKeyOf))];
  const skip = (source: string, error: UnsupportedDocumentError): IngestOutcome => {
    deps.log.warn('document skipped', { source, reason: error.message });
    return { source, action: 'skipped', reason: error.message };
  };
  const refused = new Map<string, UnsupportedDocumentError>();
  for (const name of distinct) {
    try {
      checkDocumentHeader(name, undefined, deps.rules);
    } catch (error) {
      if (!(error instanceof UnsupportedDocumentError)) throw error;
      refused.set(name, error);
    }
  }
  const at = new Date().toISOString();
  // Only the outcomes are recorded (one status commit a batch): until then a document reads as pending because S3
  // holds a version its record does not reflect (currentStatus.ts). What each was before is read while the batch
  // reads and embeds, and the status table's compaction, when due, goes first in that time, off the critical path.
  const { statuses } = deps;
  const reading = statuses
    ? (async () => {
        await statuses
          .compactIfFragmented()
          .catch((error: unknown) => deps.log.warn('status compaction deferred', { reason: (error as Error).message }));
        return statuses.getMany(distinct);
      })()
    : Promise.resolve(new Map<string, DocumentStatus>());
  reading.catch(() => {}); // its error is thrown where it is awaited
  try {
    const facts = new Map<string, DocumentFacts>();
    const stored = await deps.store.sourceHashes(distinct.filter((name) => !refused.has(name)));
    /** Each attribute's type: the table's columns', then the first document of the batch to bring it. */
    const types = new Map(Object.entries(await deps.store.attributeTypes()));
    const prepared: (Prepared | IngestFailure)[] = [];
    const batch = new BatchCommit(deps, options.maxPendingChunks);
    /** The version each document was read at (null: it was gone). */
    const versions = new Map<string, string | null>();
    // One document at a time: the embedder is the bottleneck anyway, and memory holds one document's bytes.
    for (const name of distinct) {
      const refusal = refused.get(name);
      if (refusal) {
        prepared.push(skip(name, refusal));
        continue;
      }
      // The first document always starts, so a batch makes progress whatever time it was given.
      if (prepared.some((p) => p.action !== 'skipped') && options.outOfTime?.()) {
        const error = new DeadlineError('not started: the batch ran out of time; its message is retried');
        prepared.push({ source: name, action: 'failed', error });
        continue;
      }
      try {
        const content = await reader.read(name, (size) => checkDocumentHeader(name, size, deps.rules));
        let document: Prepared;
        if (content !== null) {
          versions.set(name, content.version);
          document = await prepareDocument(name, content, stored.get(name), types, deps, facts);
        } else if (stored.has(name)) {
          versions.set(name, null);
          const chunks = await deps.store.count(name);
          document = { write: { source: name, contentHash: '', chunks: [] }, action: 'deleted', chunks };
        } else {
          document = { source: name, action: 'deleted', chunks: 0 };
        }
        prepared.push(document);
        if ('write' in document) {
          // Only a document that is written types its new attributes for the rest of the batch (one skipped does not).
          for (const [name, value] of Object.entries(document.write.metadata ?? {}))
            if (!types.has(name)) types.set(name, attributeTypeOf(value)!);
          await batch.add(document);
        }
      } catch (error) {
        prepared.push(
          error instanceof UnsupportedDocumentError ? skip(name, error) : { source: name, action: 'failed', error },
        );
      }
    }
    await batch.flush();
    const committed = prepared.map((p) => batch.resultOf(p));
    // The outcomes are written while each written document's version is checked again and the chunk table's upkeep
    // looks at its fragments (other tables, other objects: no conflict). A document that changed meanwhile is
    // recorded at the version it was read, which S3 no longer holds, so it reads as pending (currentStatus.ts) until
    // its retry records it again.
    const recording = statuses
      ? reading.then((previous) => recordStatuses(committed, { deps, statuses, facts, previous, stored, at }))
      : Promise.resolve(committed);
    const checking = Promise.all(committed.map((result) => unlessChanged(result, reader, versions)));
    // All settled before the batch returns: work left running would be frozen mid-commit with the Lambda.
    const [recorded, checked] = await Promise.allSettled([recording, checking, batch.compact()]);
    if (recorded.status === 'rejected') throw recorded.reason;
    if (checked.status === 'rejected') throw checked.reason;
    // A document fails if its outcome was not recorded or it changed while it was indexed.
    return checked.value.map((result, i) => (recorded.value[i]!.action === 'failed' ? recorded.value[i]! : result));
  } finally {
    await reading.catch(() => {}); // settled however the batch ended (a failed read of the chunk table…)
  }
}

/**
 * A written document whose version changed since it was read (a newer upload or a delete raced this batch, e.g.
 * in a second batch running at once) becomes `failed`, so it is synced again and the index ends at the current
 * state whichever commit landed last.
 */
async function unlessChanged(
  result: SyncResult,
  reader: DocumentReader,
  versions: Map<string, string | null>,
): Promise<SyncResult> {
  if (!['indexed', 'deleted', 'metadata'].includes(result.action) || !versions.has(result.source)) return result;
  try {
    if ((await reader.version(result.source)) === versions.get(result.source)) return result;
    const error = new DocumentChangedError('the document changed while it was indexed; it is synced again');
    return { source: result.source, action: 'failed', error };
  } catch (error) {
    return { source: result.source, action: 'failed', error };
  }
}

/** syncDocuments for one document; a failure is thrown (the caller retries the event). */
export async function syncDocument(name: string, reader: DocumentReader, deps: IngestDeps): Promise<IngestOutcome> {
  const [result] = await syncDocuments([name], reader, deps);
  if (result!.action === 'failed') throw result!.error;
  return result!;
}
