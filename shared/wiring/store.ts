import { LanceStore } from '../adapters/lancedb/lanceStore.js';
import type { JobStore, StoreUpkeep } from '../pipeline/ports.js';
import { S3JobStore } from '../adapters/s3/jobStore.js';
import { LanceStatusStore } from '../adapters/lancedb/statusTable.js';
import { LambdaJobLauncher } from '../adapters/lambda/jobLauncher.js';
import { createS3Client, parseS3Uri } from '../adapters/s3/s3Documents.js';
import type { Config } from './config.js';
import { type LanceStoreOptions, lanceStorageOptions } from '../adapters/lancedb/options.js';

/** LanceStore options from the configuration (everything but the dimension, which only creating a table needs). */
export function storeOptionsFrom(config: Config): Omit<LanceStoreOptions, 'dimension'> {
  return {
    uri: config.store.uri,
    table: config.store.table,
    embeddingModel: config.embedding.model,
    metric: config.embedding.metric,
    storageOptions: lanceStorageOptions(config.store),
    readConsistencySeconds: config.store.readConsistencySeconds,
  };
}

/** The documents' status table as the maintenance function compacts it (created if there is none). */
export function openStatusUpkeep(config: Config): Promise<LanceStatusStore> {
  return LanceStatusStore.open(storeOptionsFrom(config));
}

/** The store as the maintenance function sees it, or null before the first ingest made the table. */
export function openStoreUpkeep(config: Config): Promise<StoreUpkeep | null> {
  return LanceStore.openExisting(storeOptionsFrom(config));
}

/** The ingestion jobs' records, in the vectors bucket; null when the index is not on S3 (a local folder). */
export function openJobStore(config: Config): JobStore | null {
  if (!config.store.uri.startsWith('s3://')) return null;
  const client = createS3Client({ region: config.store.region, endpoint: config.store.s3Endpoint });
  return new S3JobStore(client, parseS3Uri(config.store.uri).bucket);
}

/** What starts the ingest function on a job (the API, and a job handing on near its timeout); null without one. */
export function jobLauncher(config: Config): LambdaJobLauncher | null {
  const target = config.documents.ingestFunction;
  return target ? new LambdaJobLauncher(target.name, { endpoint: target.endpoint, region: config.store.region }) : null;
}
