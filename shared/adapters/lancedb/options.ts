import type { Metric } from './schema.js';

export interface LanceStoreOptions {
  /** Local folder or `s3://bucket/prefix`. */
  uri: string;
  /** @default 'chunks' */
  table?: string;
  /** Embedding model id, recorded in the table so a different model cannot silently mix vectors. */
  embeddingModel: string;
  /**
   * Vector length, needed only to create the table (an existing table records its own). A function is called
   * only then, so readers of an existing table never load the embedding model.
   */
  dimension?: number | (() => Promise<number>);
  /** Must match the metric the table was created with: vectors scored with another would silently mix. */
  metric: Metric;
  /** Object-store options for `s3://` (endpoint, allowHttp, region, keys). */
  storageOptions?: Record<string, string>;
  /**
   * Seconds after which reads check for writes by other processes (ingest Lambdas); 0 checks on every
   * read (one extra object-store request per query). @default 0
   */
  readConsistencySeconds?: number;
  /**
   * Only read: never change the table's schema (the query function's role may not write). A table made before the
   * later columns is searched as it is until a writer adds them. @default false
   */
  readOnly?: boolean;
}

/**
 * Storage options for LanceDB's object store. The region is always set: without it Lance asks the
 * instance-metadata address first and stalls about a second per connection.
 */
export function lanceStorageOptions(store: {
  region: string;
  s3Endpoint?: string;
  accessKeyId?: string;
  secretAccessKey?: string;
}): Record<string, string> {
  const options: Record<string, string> = { region: store.region };
  if (store.s3Endpoint) {
    options.endpoint = store.s3Endpoint;
    options.allowHttp = String(store.s3Endpoint.startsWith('http://'));
    options.virtualHostedStyleRequest = 'false';
  }
  // Only explicit keys are passed; on Lambda the role's credentials (with session token) come from the environment.
  if (store.accessKeyId && store.secretAccessKey) {
    options.awsAccessKeyId = store.accessKeyId;
    options.awsSecretAccessKey = store.secretAccessKey;
  }
  return options;
}
