import { compareKeys, sortKeys } from '../keyOrder.js';
import type { TenancySettings } from '../tenants.js';
import type { DocumentState, DocumentStatus, ObjectVersion } from './records.js';
import { unrecordedStatus } from './statuses.js';

/**
 * A document's status as it stands now. Ingestion records only outcomes (one status commit a batch), so what is
 * not yet recorded is read off S3, the source of truth: a version other than the recorded one is `pending` (its
 * chunks, if any, still the recorded version's), a document gone from S3 is `deleting` until its removal is
 * recorded, and one with no record yet is `pending`. `object` undefined: S3 was not asked, the record stands.
 */
export function currentStatus(
  source: string,
  recorded: DocumentStatus | null,
  object: ObjectVersion | null | undefined,
  tenancy: TenancySettings,
): DocumentStatus | null {
  if (object === undefined) return recorded;
  if (object === null) {
    if (!recorded || recorded.status === 'deleted' || recorded.status === 'deleting') return recorded;
    return { ...recorded, status: 'deleting', reason: null };
  }
  if (!recorded) return unrecordedStatus(source, tenancy, object.lastModified);
  // Deleted, yet S3 has it: uploaded since. A failure may be recorded at the version before the one that failed (it
  // was refused before it was read, or dead-lettered), and a refusal has none: only an object written after it is new.
  const newer = object.lastModified > recorded.updatedAt;
  const changed =
    recorded.status === 'deleted' ||
    (recorded.status === 'failed' || recorded.version === null ? newer : recorded.version !== object.version);
  if (!changed || recorded.status === 'pending') return recorded;
  const updatedAt = [object.lastModified, recorded.updatedAt].sort().at(-1)!; // ISO times: later sorts last
  return { ...recorded, status: 'pending', reason: null, updatedAt };
}

/**
 * The recorded states a list may filter the status table by: S3 can only take a document out of them (into
 * `pending` or `deleting`), never bring one in, so the others are filtered after currentStatus.
 */
export const RECORDED_FILTERS: readonly DocumentState[] = ['indexed', 'failed', 'deleted'];

/**
 * Where a list reads S3 for its documents' current versions: the query's prefix narrowed to the documents prefix
 * (and, with tenants by path, to the tenant's folder); null when the two cannot overlap.
 */
export function listingPrefix(prefix: string, tenant: string | null, tenancy: TenancySettings): string | null {
  const scope =
    tenant !== null && tenancy.attribute === null ? `${tenancy.documentsPrefix}${tenant}/` : tenancy.documentsPrefix;
  if (prefix.startsWith(scope)) return prefix;
  return scope.startsWith(prefix) ? scope : null;
}

export interface PageParts {
  /** The recorded statuses after the cursor, in source order: a page of the status table. */
  rows: DocumentStatus[];
  /**
   * Where the table's page ends when the table has more after it (its `next`), else null. Not always the last of
   * `rows`: rows a filtered page dropped after reading (a duplicate's later row no longer matched) leave it later.
   */
  rowsTo: string | null;
  /** Current versions S3 listed over the page's range, under `listed` (null: S3 was not listed). */
  objects: Map<string, ObjectVersion>;
  listed: string | null;
  /** The last key S3 listed, when it stopped before the page's range ended; null: it listed all of it. */
  listedTo: string | null;
  /** Whether `rows` are all the table's rows in range (not filtered by status), so other keys have no record. */
  unfiltered: boolean;
  /** Keys of S3 objects that ingestion records (documents, not sidecars, of a supported type). */
  isDocument: (key: string) => boolean;
  limit: number;
  tenant: string | null;
  status?: DocumentState;
  tenancy: TenancySettings;
}

/**
 * A page of current statuses: the table's rows and the documents S3 has that are not recorded yet, as far as both
 * are known (the table's page, S3's listing), filtered by tenant and status (without one, deleted documents have
 * left the list); `next` continues after its last key.
 */
export function currentPage(parts: PageParts): { documents: DocumentStatus[]; next: string | null } {
  const { rows, objects, listed, listedTo } = parts;
  const bounds = [parts.rowsTo, listedTo].filter((b): b is string => b !== null);
  const bound = bounds.sort(compareKeys)[0]; // the nearer of the two ends
  const within = (key: string) => bound === undefined || compareKeys(key, bound) <= 0;
  const recorded = new Map(rows.filter((r) => within(r.source)).map((r) => [r.source, r]));
  const keys = new Set(recorded.keys());
  if (parts.unfiltered)
    for (const key of objects.keys()) if (within(key) && !recorded.has(key) && parts.isDocument(key)) keys.add(key);
  const documents: DocumentStatus[] = [];
  for (const key of sortKeys(keys)) {
    // S3 was listed for documents only: a recorded key of another kind keeps its record, as GET shows it.
    const object =
      listed !== null && key.startsWith(listed) && parts.isDocument(key) ? (objects.get(key) ?? null) : undefined;
    const status = currentStatus(key, recorded.get(key) ?? null, object, parts.tenancy);
    if (!status || (parts.tenant !== null && status.tenant !== parts.tenant)) continue;
    if (parts.status ? status.status !== parts.status : status.status === 'deleted') continue;
    documents.push(status);
  }
  if (documents.length > parts.limit)
    return { documents: documents.slice(0, parts.limit), next: documents[parts.limit - 1]!.source };
  return { documents, next: bound ?? null };
}
