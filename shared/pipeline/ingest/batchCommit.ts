import type { Log } from '../log.js';
import type { ChunkWriter, SourceWrite } from '../ports.js';

export type IngestOutcome =
  /** metadata: the text was unchanged and only its metadata (or tenant) was re-applied, without re-embedding. */
  | { source: string; action: 'indexed' | 'deleted' | 'metadata'; chunks: number }
  | { source: string; action: 'unchanged' }
  | { source: string; action: 'skipped'; reason: string };

/** A document of a batch that failed for a reason worth retrying (a read or a commit); the others are unaffected. */
export interface IngestFailure {
  source: string;
  action: 'failed';
  error: unknown;
}

export type SyncResult = IngestOutcome | IngestFailure;

/** What a document needs after it was read: nothing (an outcome already), or a write of its new chunks. */
export type Prepared =
  | IngestOutcome
  | { write: SourceWrite; action: 'indexed' | 'deleted' | 'metadata'; chunks: number };

/** A prepared document that needs a write. */
type PendingWrite = Extract<Prepared, { write: SourceWrite }>;

/** Most new chunks a batch holds in memory before it commits them (one commit's bound in the LanceDB store). */
export const MAX_PENDING_CHUNKS = 20_000;

/**
 * Collects the writes of a batch and commits them together: at the end, or earlier once MAX_PENDING_CHUNKS
 * chunks are waiting, so memory stays bounded whatever the documents' sizes.
 */
export class BatchCommit {
  readonly #settled = new Map<PendingWrite, PromiseSettledResult<number>>();
  #pending: PendingWrite[] = [];
  #pendingChunks = 0;
  #committed = false;

  constructor(
    private readonly deps: { store: ChunkWriter; log: Log },
    private readonly maxPendingChunks = MAX_PENDING_CHUNKS,
  ) {}

  async add(write: PendingWrite): Promise<void> {
    this.#pending.push(write);
    this.#pendingChunks += write.write.chunks.length;
    if (this.#pendingChunks >= this.maxPendingChunks) await this.flush();
  }

  async flush(): Promise<void> {
    const writes = this.#pending;
    this.#pending = [];
    this.#pendingChunks = 0;
    if (writes.length === 0) return;
    const settled = await Promise.allSettled(this.deps.store.replaceSources(writes.map((p) => p.write)));
    for (const [i, write] of writes.entries()) {
      this.#settled.set(write, settled[i]!);
      // Committed: the chunks (texts and vectors) are not needed any more, so a big batch holds one flush at most.
      write.write = { ...write.write, chunks: [] };
    }
    if (!this.#committed && settled.some((s) => s.status === 'fulfilled')) {
      this.#committed = true;
      await this.#deferrable('index creation', () => this.deps.store.ensureIndexes());
    }
  }

  /**
   * Upkeep after a commit (indexes, compaction): the data is committed and searchable without it (unindexed rows
   * are scanned) and maintenance catches up, so a failure is logged as deferred, never the batch's failure.
   */
  async #deferrable(what: string, work: () => Promise<unknown>): Promise<void> {
    await work().catch((error: unknown) =>
      this.deps.log.warn(`${what} deferred`, { reason: (error as Error).message }),
    );
  }

  /**
   * After the batch's last flush, when it wrote anything: compacts once small fragments pile up (every commit adds
   * one and every search reads them all).
   */
  async compact(): Promise<void> {
    if (this.#committed) await this.#deferrable('compaction', () => this.deps.store.optimizeIfFragmented());
  }

  /** The result of a prepared document once flushed: its outcome, or `failed` with its commit's error. */
  resultOf(prepared: Prepared | IngestFailure): SyncResult {
    if (!('write' in prepared)) return prepared;
    const result = this.#settled.get(prepared)!;
    if (result.status === 'rejected') return { source: prepared.write.source, action: 'failed', error: result.reason };
    return { source: prepared.write.source, action: prepared.action, chunks: prepared.chunks };
  }
}
