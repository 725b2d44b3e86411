import type { Attributes } from '../metadata.js';

/**
 * What is kept about documents and ingestion jobs (types only: the ports in ../ports.ts store them, the
 * modules beside this one build them).
 */

/** Where a document stands (Bedrock's document statuses, in this pipeline's terms). */
export type DocumentState = 'pending' | 'indexed' | 'failed' | 'deleting' | 'deleted';

/**
 * One document's status, kept beside its chunks. `chunks` is what the index holds for it now: a `failed`
 * re-upload whose old version still answers queries says so with `chunks > 0` and its reason.
 */
export interface DocumentStatus {
  source: string;
  status: DocumentState;
  /** Why it failed, or why its last attempt did while it stays `pending` (it is retried); null otherwise. */
  reason: string | null;
  chunks: number;
  bytes: number | null;
  contentHash: string | null;
  contentType: string | null;
  tenant: string | null;
  metadata: Attributes;
  /** The S3 ETag (and the sidecar's) of the state it reflects; null before it was read. */
  version: string | null;
  /** ISO time of the last change. */
  updatedAt: string;
}

/** What S3 holds of a document now: the version ingestion would read (its ETag and its sidecar's), and when. */
export interface ObjectVersion {
  version: string;
  /** ISO time the object was last written. */
  lastModified: string;
}

export interface StatusQuery {
  /** Only this tenant's documents; null: every document (no tenant scope). */
  tenant: string | null;
  status?: DocumentState;
  prefix?: string;
  limit: number;
  /** Only sources after this one (the previous page's last). */
  after?: string;
}

/** Bedrock's ingestion job states. */
export type JobState = 'STARTING' | 'IN_PROGRESS' | 'COMPLETE' | 'FAILED';

/** Bedrock's IngestionJobStatistics, plus the unchanged documents it leaves out. */
export interface JobStatistics {
  numberOfDocumentsScanned: number;
  numberOfMetadataDocumentsScanned: number;
  numberOfNewDocumentsIndexed: number;
  numberOfModifiedDocumentsIndexed: number;
  numberOfMetadataDocumentsModified: number;
  numberOfDocumentsUnchanged: number;
  numberOfDocumentsDeleted: number;
  numberOfDocumentsFailed: number;
}

/** A full sync of a prefix (the reconcile), run asynchronously by the ingest function. */
export interface IngestionJob {
  id: string;
  /** Documents under this key prefix. */
  prefix: string;
  /** `failed`: only the documents whose status is failed (a redrive once the cause is fixed). */
  only: 'all' | 'failed';
  /** The tenant that started it (its lock); null: not tenant-scoped. */
  tenant: string | null;
  status: JobState;
  statistics: JobStatistics;
  /** The documents that failed, with their reasons (the first MAX_JOB_FAILURES). */
  failures: { source: string; reason: string }[];
  /** Why the job itself failed (FAILED), else null. */
  reason: string | null;
  startedAt: string;
  updatedAt: string;
}
