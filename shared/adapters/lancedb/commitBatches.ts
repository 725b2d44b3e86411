import type { SourceWrite } from '../../pipeline/ports.js';

interface PendingWrite extends SourceWrite {
  resolve: (stored: number) => void;
  reject: (error: unknown) => void;
}

/** Most sources and rows one commit takes; the rest wait for the next. */
export const MAX_SOURCES_PER_COMMIT = 256;
export const MAX_ROWS_PER_COMMIT = 20_000;

/** The next commit's writes: one per source (a later write of the same source waits), within the bounds. */
export function takeBatch(pending: PendingWrite[]): PendingWrite[] {
  const batch: PendingWrite[] = [];
  const sources = new Set<string>();
  let rows = 0;
  for (let i = 0; i < pending.length && batch.length < MAX_SOURCES_PER_COMMIT; ) {
    const write = pending[i]!;
    const fits = batch.length === 0 || rows + write.chunks.length <= MAX_ROWS_PER_COMMIT;
    if (sources.has(write.source) || !fits) {
      // A later write of this source must not overtake this one: it waits for the next commit too.
      sources.add(write.source);
      i++;
      continue;
    }
    batch.push(write);
    sources.add(write.source);
    rows += write.chunks.length;
    pending.splice(i, 1);
  }
  return batch;
}

/**
 * Writes that arrive while a commit runs (concurrent invocations in one process, a batch of documents) wait and are
 * grouped into the next single commit, so writers in one process never race each other on the table.
 */
export class CommitQueue {
  readonly #pending: PendingWrite[] = [];
  #committing = false;

  constructor(private readonly commit: (batch: SourceWrite[]) => Promise<void>) {}

  /** Queues the writes; each promise settles with its own commit (the chunks it stored, or why it failed). */
  add(writes: SourceWrite[]): Promise<number>[] {
    const settled = writes.map(
      (write) => new Promise<number>((resolve, reject) => this.#pending.push({ ...write, resolve, reject })),
    );
    void this.#drain();
    return settled;
  }

  async #drain(): Promise<void> {
    if (this.#committing) return;
    this.#committing = true;
    try {
      while (this.#pending.length > 0) {
        const batch = takeBatch(this.#pending);
        try {
          await this.commit(batch);
          for (const write of batch) write.resolve(write.chunks.length);
        } catch (error) {
          for (const write of batch) write.reject(error);
        }
      }
    } finally {
      this.#committing = false;
    }
  }
}
