import { LanceStore } from '../adapters/lancedb/lanceStore.js';
import type { StoreUpkeep } from '../pipeline/ports.js';
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

/** The store as the maintenance function sees it, or null before the first ingest made the table. */
export function openStoreUpkeep(config: Config): Promise<StoreUpkeep | null> {
  return LanceStore.openExisting(storeOptionsFrom(config));
}
