import { isSidecar } from '../metadata.js';
import type { SyncResult } from './batchCommit.js';
import { reasonOf } from './statuses.js';
import type { IngestionJob, JobStatistics } from './records.js';

export type { IngestionJob, JobState, JobStatistics } from './records.js';

/** Failures a job lists (the statistics count them all). */
export const MAX_JOB_FAILURES = 100;
/** A running job whose record has not changed for this long is taken as dead (its function timed out, crashed). */
export const STALE_JOB_MS = 20 * 60_000;

export const emptyStatistics = (): JobStatistics => ({
  numberOfDocumentsScanned: 0,
  numberOfMetadataDocumentsScanned: 0,
  numberOfNewDocumentsIndexed: 0,
  numberOfModifiedDocumentsIndexed: 0,
  numberOfMetadataDocumentsModified: 0,
  numberOfDocumentsUnchanged: 0,
  numberOfDocumentsDeleted: 0,
  numberOfDocumentsFailed: 0,
});

export function newJob(input: {
  id: string;
  prefix: string;
  only: 'all' | 'failed';
  tenant: string | null;
}): IngestionJob {
  const at = new Date().toISOString();
  return {
    ...input,
    status: 'STARTING',
    statistics: emptyStatistics(),
    failures: [],
    reason: null,
    startedAt: at,
    updatedAt: at,
  };
}

/** Whether a job still holds its lock: not finished, and heard from within STALE_JOB_MS. */
export const isRunning = (job: IngestionJob, now = Date.now()): boolean =>
  (job.status === 'STARTING' || job.status === 'IN_PROGRESS') && now - Date.parse(job.updatedAt) < STALE_JOB_MS;

/**
 * What a job syncs, in order: every document under the prefix (unchanged ones are no-ops by hash) and every
 * indexed source there whose object is gone; for a redrive, only the failed ones. Sidecars are counted, not
 * synced: each document's sync reads its own.
 */
export function jobPlan(
  objectKeys: string[],
  indexedSources: string[],
  job: Pick<IngestionJob, 'prefix' | 'only'>,
  failedSources: string[] = [],
): { names: string[]; metadataFiles: number; documentsInBucket: number } {
  const under = objectKeys.filter((k) => k.startsWith(job.prefix));
  const documents = new Set(under.filter((k) => !isSidecar(k)));
  const metadataFiles = under.length - documents.size;
  if (job.only === 'failed') {
    const names = failedSources.filter((s) => s.startsWith(job.prefix)).sort();
    return { names, metadataFiles, documentsInBucket: names.filter((n) => documents.has(n)).length };
  }
  const orphans = indexedSources.filter((s) => s.startsWith(job.prefix) && !documents.has(s));
  return { names: [...[...documents].sort(), ...orphans.sort()], metadataFiles, documentsInBucket: documents.size };
}

/**
 * Adds a batch's results to the job: an indexed document is new when the index had no chunks of it before the
 * job, modified otherwise; a skipped (never readable) or failed one is failed, with its reason.
 */
export function countResults(job: IngestionJob, results: SyncResult[], indexedBefore: ReadonlySet<string>): void {
  const s = job.statistics;
  for (const result of results) {
    switch (result.action) {
      case 'indexed':
        if (indexedBefore.has(result.source)) s.numberOfModifiedDocumentsIndexed++;
        else s.numberOfNewDocumentsIndexed++;
        break;
      case 'metadata':
        s.numberOfMetadataDocumentsModified++;
        break;
      case 'unchanged':
        s.numberOfDocumentsUnchanged++;
        break;
      case 'deleted':
        if (indexedBefore.has(result.source)) s.numberOfDocumentsDeleted++;
        break;
      case 'skipped':
      case 'failed': {
        s.numberOfDocumentsFailed++;
        const reason = result.action === 'skipped' ? result.reason : reasonOf(result.error);
        if (job.failures.length < MAX_JOB_FAILURES) job.failures.push({ source: result.source, reason });
        break;
      }
    }
  }
}
