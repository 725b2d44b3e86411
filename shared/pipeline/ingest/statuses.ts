import path from 'node:path';
import { AppError } from '../errors.js';
import type { Attributes } from '../metadata.js';
import type { Log } from '../log.js';
import type { ChunkWriter, StatusStore, StoredVersion } from '../ports.js';
import type { DocumentStatus } from './records.js';
import { DEFAULT_TENANCY, type TenancySettings, tenantOf } from '../tenants.js';
import type { SyncResult } from './batchCommit.js';

/** What ingestion learnt of a document it read: the status fields its chunks do not carry. */
export interface DocumentFacts {
  bytes: number;
  contentHash: string;
  tenant: string | null;
  metadata: Attributes;
  version: string;
}

/** The media types of the extensions ingestion reads; others have none. */
const CONTENT_TYPES: Record<string, string> = {
  '.txt': 'text/plain',
  '.md': 'text/markdown',
  '.html': 'text/html',
  '.htm': 'text/html',
  '.pdf': 'application/pdf',
  '.docx': 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
};

export const contentTypeOf = (source: string): string | null =>
  CONTENT_TYPES[path.extname(source).toLowerCase()] ?? null;

/** A pending status before anything but a document's name, tenant and type is known of it. */
export const newStatus = (
  source: string,
  tenant: string | null,
  contentType: string | null,
  at: string,
): DocumentStatus => ({
  source,
  status: 'pending',
  reason: null,
  chunks: 0,
  bytes: null,
  contentHash: null,
  contentType,
  tenant,
  metadata: {},
  version: null,
  updatedAt: at,
});

/** The status of a document nothing is recorded of yet: pending, its tenant by its path (its metadata unread). */
export const unrecordedStatus = (source: string, tenancy: TenancySettings, at: string): DocumentStatus =>
  newStatus(source, tenantOf(source, {}, tenancy), contentTypeOf(source), at);

/** A failure's reason as a status may show it: the message of an error meant for callers, else only its kind. */
export function reasonOf(error: unknown): string {
  if (error instanceof AppError) return error.publicMessage;
  const name = error instanceof Error ? error.name : 'Error';
  return `ingest failed (${name}); the ingest function's log has the details`;
}

export interface StatusInputs {
  facts: ReadonlyMap<string, DocumentFacts>;
  /** Each source's status before this batch (markPending's answer). */
  previous: ReadonlyMap<string, DocumentStatus>;
  /** Chunks the index holds for a source the batch did not write (a failed or skipped re-upload keeps its old ones). */
  chunksKept: ReadonlyMap<string, number>;
  tenantOf: (source: string) => string | null;
  at: string;
}

/**
 * Each result's status, once its chunks are committed: indexed (written, re-tagged or unchanged) with its chunk
 * count; deleted; failed for a document that can never be read as it is (skipped: its reason, and the chunks of
 * an earlier version it still has); pending, with the last attempt's reason, for a failure that is retried.
 */
export function statusesOf(results: SyncResult[], inputs: StatusInputs): DocumentStatus[] {
  return results.map((result) => {
    const { source } = result;
    const before = inputs.previous.get(source);
    const facts = inputs.facts.get(source);
    const base: DocumentStatus = {
      source,
      status: 'pending',
      reason: null,
      chunks: inputs.chunksKept.get(source) ?? 0,
      bytes: facts?.bytes ?? before?.bytes ?? null,
      contentHash: facts?.contentHash ?? before?.contentHash ?? null,
      contentType: contentTypeOf(source),
      tenant: facts ? facts.tenant : (before?.tenant ?? inputs.tenantOf(source)),
      metadata: facts?.metadata ?? before?.metadata ?? {},
      version: facts?.version ?? before?.version ?? null,
      updatedAt: inputs.at,
    };
    switch (result.action) {
      case 'indexed':
      case 'metadata':
        return { ...base, status: 'indexed', chunks: result.chunks };
      case 'unchanged':
        return { ...base, status: 'indexed', chunks: before?.chunks ?? base.chunks };
      case 'deleted':
        return { ...base, status: 'deleted', chunks: 0, bytes: null, contentHash: null, metadata: {}, version: null };
      case 'skipped':
        return { ...base, status: 'failed', reason: result.reason };
      case 'failed':
        return { ...base, status: 'pending', reason: `last attempt failed, retried: ${reasonOf(result.error)}` };
      default: {
        const unknown: never = result;
        throw new Error(`no status for ${JSON.stringify(unknown)}`);
      }
    }
  });
}

/**
 * Writes the batch's statuses after its chunks were committed, so none says `indexed` before its chunks answer.
 * If that write fails, every document is `failed` (its message comes back, and the retry, unchanged, records it).
 */
export async function recordStatuses(
  results: SyncResult[],
  context: {
    deps: { store: Pick<ChunkWriter, 'count'>; log: Log; tenancy?: TenancySettings };
    statuses: StatusStore;
    facts: Map<string, DocumentFacts>;
    previous: Map<string, DocumentStatus>;
    stored: Map<string, StoredVersion>;
    at: string;
  },
): Promise<SyncResult[]> {
  const { deps, previous, stored } = context;
  const chunksKept = new Map<string, number>();
  for (const result of results) {
    if (!['unchanged', 'skipped', 'failed'].includes(result.action) || !stored.has(result.source)) continue;
    const before = previous.get(result.source);
    const known = before?.status === 'indexed' && before.contentHash === stored.get(result.source)!.content;
    chunksKept.set(result.source, known ? before.chunks : await deps.store.count(result.source));
  }
  const tenancy = deps.tenancy ?? DEFAULT_TENANCY;
  const statuses = statusesOf(results, {
    facts: context.facts,
    previous,
    chunksKept,
    tenantOf: (source) => tenantOf(source, {}, tenancy),
    at: context.at,
  });
  try {
    await context.statuses.record(statuses, { unrecorded: statuses.every((s) => !previous.has(s.source)) });
    return results;
  } catch (error) {
    deps.log.error('document statuses not recorded; the batch is retried', { error: error as Error });
    return results.map((r) => (r.action === 'failed' ? r : { source: r.source, action: 'failed', error }));
  }
}

/**
 * Documents whose ingest message failed its last receive (it is in the dead-letter queue now): `failed`, with the
 * last error, and their chunks as they are (an older version may still answer; `chunks` says so).
 */
export async function markGivenUp(
  statuses: StatusStore,
  given: { source: string; error: unknown }[],
  attempts: number,
  at: string,
  tenancy: TenancySettings = DEFAULT_TENANCY,
): Promise<void> {
  // One never recorded (every attempt died before its outcome was written) is failed all the same.
  const current = await statuses.getMany(given.map((g) => g.source));
  const marked = given.map(({ source, error }): DocumentStatus => {
    const reason = `gave up after ${attempts} attempts (the message is in the dead-letter queue): ${reasonOf(error)}`;
    return {
      ...(current.get(source) ?? unrecordedStatus(source, tenancy, at)),
      status: 'failed',
      reason,
      updatedAt: at,
    };
  });
  await statuses.record(marked);
}
