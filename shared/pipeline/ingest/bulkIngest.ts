import { syncDocuments, type IngestDeps } from './ingest.js';
import type { DocumentReader } from '../ports.js';
import type { SyncResult } from './batchCommit.js';

export interface BulkOptions {
  /** Documents synced (read, embedded) and committed together. @default 64 */
  batchSize?: number;
  /** Called after each batch is committed, with its results (progress, benchmarks). */
  onBatch?: (results: SyncResult[]) => void | Promise<void>;
}

/**
 * Syncs many documents in batches: each batch is one hash lookup and one commit (while it fits the store's
 * bounds of 256 sources and 20,000 chunks), and fragments are compacted as they pile up, so the cost per
 * document stays flat as the table grows. Unchanged documents are skipped by hash, so a rerun resumes.
 */
export async function syncInBatches(
  names: string[],
  reader: DocumentReader,
  deps: IngestDeps,
  options: BulkOptions = {},
): Promise<SyncResult[]> {
  const batchSize = options.batchSize ?? 64;
  const results: SyncResult[] = [];
  for (let start = 0; start < names.length; start += batchSize) {
    // Each batch compacts once fragments pile up (syncDocuments does), so queries stay fast during a long run.
    const batch = await syncDocuments(names.slice(start, start + batchSize), reader, deps);
    results.push(...batch);
    await options.onBatch?.(batch);
  }
  return results;
}
