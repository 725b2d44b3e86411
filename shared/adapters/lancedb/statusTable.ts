import * as lancedb from '@lancedb/lancedb';
import { Field, Float64, Schema, Utf8 } from 'apache-arrow';
import { sha256Hex } from '../../pipeline/ingest/document.js';
import { compareKeys } from '../../pipeline/keyOrder.js';
import type { Attributes } from '../../pipeline/metadata.js';
import type { StatusStore } from '../../pipeline/ports.js';
import type { DocumentState, DocumentStatus, StatusQuery } from '../../pipeline/ingest/records.js';
import { newStatus } from '../../pipeline/ingest/statuses.js';
import { connect, openOrCreate } from './migrations.js';
import type { LanceStoreOptions } from './options.js';
import { sourcesPredicate } from './predicates.js';
import { readOrUnavailable, withCommitRetry } from './retry.js';
import { createIndex, indexedColumns, optimize } from './upkeep.js';

/** Commits of one process between two looks at the table's fragments (compactIfFragmented). */
const COMMITS_BETWEEN_CHECKS = 8;

/** The status table of a chunk table: beside it in the same database, named after it. */
export const statusTableName = (chunkTable = 'chunks'): string => `${chunkTable}_documents`;

/** One row: a document's status; user-chosen strings (source, tenant) are matched by their hashes, never spliced. */
interface StatusRow {
  source_id: string;
  source: string;
  tenant_id: string;
  status: string;
  reason: string | null;
  chunks: number;
  bytes: number | null;
  content_hash: string | null;
  content_type: string | null;
  tenant: string | null;
  metadata: string;
  version: string | null;
  updated_at: string;
}

const statusSchema = () =>
  new Schema([
    new Field('source_id', new Utf8(), false),
    new Field('source', new Utf8(), false),
    new Field('tenant_id', new Utf8(), false),
    new Field('status', new Utf8(), false),
    new Field('reason', new Utf8(), true),
    new Field('chunks', new Float64(), false),
    new Field('bytes', new Float64(), true),
    new Field('content_hash', new Utf8(), true),
    new Field('content_type', new Utf8(), true),
    new Field('tenant', new Utf8(), true),
    new Field('metadata', new Utf8(), false),
    new Field('version', new Utf8(), true),
    new Field('updated_at', new Utf8(), false),
  ]);

/** The tenant's key in predicates: its hash, and the empty string for documents of no tenant. */
const tenantId = (tenant: string | null): string => (tenant === null ? '' : sha256Hex(tenant));

const STATES: readonly DocumentState[] = ['pending', 'indexed', 'failed', 'deleting', 'deleted'];

function rowOf(status: DocumentStatus): StatusRow {
  return {
    source_id: sha256Hex(status.source),
    source: status.source,
    tenant_id: tenantId(status.tenant),
    status: status.status,
    reason: status.reason,
    chunks: status.chunks,
    bytes: status.bytes,
    content_hash: status.contentHash,
    content_type: status.contentType,
    tenant: status.tenant,
    metadata: JSON.stringify(status.metadata),
    version: status.version,
    updated_at: status.updatedAt,
  };
}

function statusOf(row: StatusRow): DocumentStatus {
  return {
    source: row.source,
    status: row.status as DocumentState,
    reason: row.reason ?? null,
    chunks: Number(row.chunks),
    bytes: row.bytes === null || row.bytes === undefined ? null : Number(row.bytes),
    contentHash: row.content_hash ?? null,
    contentType: row.content_type ?? null,
    tenant: row.tenant ?? null,
    metadata: JSON.parse(row.metadata) as Attributes,
    version: row.version ?? null,
    updatedAt: row.updated_at,
  };
}

/**
 * Documents' statuses in a LanceDB table beside the chunks (no other database to run). Written once per ingest
 * batch, after its chunks' commit (the outcomes): one small commit, whatever the batch's size.
 */
export class LanceStatusStore implements StatusStore {
  // A new process looks at its first batch: a short-lived container still compacts what others left.
  #commitsSinceCheck = COMMITS_BETWEEN_CHECKS;

  private constructor(readonly table: lancedb.Table) {}

  /** Opens the status table of `options.table`, creating it if there is none. */
  static async open(options: Omit<LanceStoreOptions, 'dimension'>): Promise<LanceStatusStore> {
    // Every read sees the latest commit: "is it indexed yet?" and "is it gone?" must not answer from a stale
    // version (a status read is one small table's manifest check).
    const db = await connect({ ...options, readConsistencySeconds: 0 });
    const name = statusTableName(options.table);
    return new LanceStatusStore(await openOrCreate(db, name, async () => statusSchema()));
  }

  async #rows(where: string): Promise<StatusRow[]> {
    return latestPerSource(
      await readOrUnavailable(async () => (await this.table.query().where(where).toArray()) as StatusRow[]),
    );
  }

  async mark(
    documents: Pick<DocumentStatus, 'source' | 'tenant' | 'contentType'>[],
    state: 'pending' | 'deleting',
    at: string,
  ): Promise<Map<string, DocumentStatus>> {
    if (documents.length === 0) return new Map();
    const previous = await this.getMany(documents.map((d) => d.source));
    const pending = documents.map((document): DocumentStatus => {
      const base =
        previous.get(document.source) ?? newStatus(document.source, document.tenant, document.contentType, at);
      return { ...base, status: state, reason: null, updatedAt: at };
    });
    await this.record(pending);
    return previous;
  }

  async record(statuses: DocumentStatus[], options: { unrecorded?: boolean } = {}): Promise<void> {
    if (statuses.length === 0) return;
    const rows = statuses.map(rowOf) as unknown as Record<string, unknown>[];
    // Rows of documents with no record are appended: a third cheaper than the merge, which looks every key up. A
    // batch racing this one on the same new key may append it too; reads take the later row, the next merge both.
    await withCommitRetry(() =>
      options.unrecorded
        ? this.table.add(rows)
        : this.table.mergeInsert('source_id').whenMatchedUpdateAll().whenNotMatchedInsertAll().execute(rows),
    );
    this.#commitsSinceCheck++;
  }

  /** Fragments of the table: every ingest batch adds one (its outcomes), every API mark one. */
  async fragments(): Promise<number> {
    return (await this.table.stats()).fragmentStats.numFragments;
  }

  /**
   * Indexes `source_id` (a B-tree: every mark, record and get looks sources up by it), compacts the table, folds
   * new rows into the index and prunes old versions: the maintenance function, hourly, and compactIfFragmented.
   */
  async optimize(): Promise<void> {
    if (!(await indexedColumns(this.table)).includes('source_id') && (await this.table.countRows()) > 0) {
      await createIndex(this.table, 'source_id', lancedb.Index.btree());
    }
    await optimize(this.table);
  }

  /**
   * Optimizes once small fragments pile up: each read, mark and merge reads every fragment, so without it their cost
   * grows with the batches ingested since the last maintenance run. Whether it did.
   */
  async compactIfFragmented(maxSmallFragments = 16): Promise<boolean> {
    // Reading the table's stats costs a batch about as much as a commit, so look only every few commits of this
    // process (each adds a fragment or two); other writers' commits are seen when it looks.
    if (this.#commitsSinceCheck < COMMITS_BETWEEN_CHECKS) return false;
    this.#commitsSinceCheck = 0;
    const { fragmentStats } = await this.table.stats();
    if (fragmentStats.numSmallFragments < maxSmallFragments) return false;
    await this.optimize();
    return true;
  }

  async getMany(sources: string[]): Promise<Map<string, DocumentStatus>> {
    if (sources.length === 0) return new Map();
    const rows = await this.#rows(sourcesPredicate(sources));
    return new Map(rows.map((r) => [r.source, statusOf(r)]));
  }

  async get(source: string): Promise<DocumentStatus | null> {
    const [row] = await this.#rows(sourcesPredicate([source]));
    return row ? statusOf(row) : null;
  }

  /**
   * Filters by tenant and status in the query (hashes and a fixed word), by prefix and cursor here, and sorts by
   * source: LanceDB has no ORDER BY, so each page reads the tenant's rows (10,000 in tens of ms, docs/benchmarks.md).
   */
  async list(query: StatusQuery): Promise<{ documents: DocumentStatus[]; next: string | null }> {
    const tenant = query.tenant === null ? undefined : tenantId(query.tenant);
    const status = query.status && STATES.includes(query.status) ? query.status : undefined;
    const conditions = [
      ...(tenant !== undefined ? [`tenant_id = '${tenant}'`] : []),
      ...(status !== undefined ? [`status = '${status}'`] : []),
    ];
    const kept = (r: StatusRow) =>
      (tenant === undefined || r.tenant_id === tenant) && (status === undefined || r.status === status);
    const rows = await readOrUnavailable(async () => {
      const q = this.table.query();
      return (await (conditions.length > 0 ? q.where(conditions.join(' AND ')) : q).toArray()) as StatusRow[];
    });
    const { prefix = '', after } = query;
    const matching = latestPerSource(rows)
      .filter((r) => r.source.startsWith(prefix) && (after === undefined || compareKeys(r.source, after) > 0))
      .sort((a, b) => compareKeys(a.source, b.source)); // S3's order: pages line up with its listings
    const page = matching.slice(0, query.limit);
    const next = matching.length > query.limit ? page.at(-1)!.source : null;
    if (conditions.length === 0 || page.length === 0) return { documents: page.map(statusOf), next };
    // The filters ran before duplicate rows were folded (latestPerSource): a source whose older row matches may have
    // a later one that does not (another status, another tenant). Its rows are looked up by the index to be sure.
    const latest = new Map((await this.#rows(sourcesPredicate(page.map((r) => r.source)))).map((r) => [r.source, r]));
    const documents = page
      .map((r) => latest.get(r.source))
      .filter((r): r is StatusRow => r !== undefined && kept(r))
      .map(statusOf);
    return { documents, next };
  }
}

/** One row per source, the last written (two batches appending the same new document each leave one). */
function latestPerSource(rows: StatusRow[]): StatusRow[] {
  const latest = new Map<string, StatusRow>();
  for (const row of rows) {
    const seen = latest.get(row.source_id);
    if (!seen || row.updated_at > seen.updated_at) latest.set(row.source_id, row);
  }
  return latest.size === rows.length ? rows : [...latest.values()];
}
