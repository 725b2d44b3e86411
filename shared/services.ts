import type { Config } from './config.js';
import { ConfigError } from './errors.js';
import { TransformersEmbedder, type Embedder } from './embedder.js';
import { LocalCrossEncoder } from './rerank/localCrossEncoder.js';
import { SageMakerCrossEncoder } from './rerank/sagemakerCrossEncoder.js';
import type { CrossEncoder } from './rerank/crossEncoder.js';
import type { Log } from './log.js';
import type { QueryDeps } from './query.js';
import type { IngestDeps } from './ingest.js';
import { LanceStore, lanceStorageOptions } from './store.js';

/** The heavy, reusable parts of the pipeline, each created on first use and then shared. */
export interface Services {
  embedder(): Promise<Embedder>;
  store(): Promise<LanceStore>;
  /** null when RERANK_BACKEND=none. */
  crossEncoder(): Promise<CrossEncoder | null>;
}

function once<T>(factory: () => Promise<T>): () => Promise<T> {
  let promise: Promise<T> | undefined;
  return () => {
    // Concurrent first callers share one load; a failed load is retried by the next caller.
    promise ??= factory().catch((error: unknown) => {
      promise = undefined;
      throw error;
    });
    return promise;
  };
}

/**
 * Builds the services for a configuration. Call at module scope in a Lambda so models and connections are
 * loaded once per container, never per event.
 */
export function createServices(config: Config): Services {
  const embedder = once(() =>
    TransformersEmbedder.create({
      model: config.embedding.model,
      dtype: config.embedding.dtype,
      pooling: config.embedding.pooling,
      normalize: config.embedding.normalize,
      batchSize: config.embedding.batchSize,
    }),
  );
  const store = once(async () =>
    LanceStore.open({
      uri: config.store.uri,
      table: config.store.table,
      embeddingModel: config.embedding.model,
      dimension: (await embedder()).dimension,
      metric: config.embedding.metric,
      storageOptions: lanceStorageOptions(config.store),
      readConsistencySeconds: config.store.readConsistencySeconds,
    }),
  );
  const crossEncoder = once(async (): Promise<CrossEncoder | null> => {
    switch (config.rerank.backend) {
      case 'none':
        return null;
      case 'local':
        return LocalCrossEncoder.create({
          model: config.rerank.model,
          dtype: config.rerank.dtype,
          batchSize: config.rerank.batchSize,
        });
      case 'sagemaker':
        if (!config.rerank.endpointName) throw new ConfigError('SAGEMAKER_ENDPOINT_NAME is required when RERANK_BACKEND=sagemaker');
        return new SageMakerCrossEncoder({
          endpointName: config.rerank.endpointName,
          endpointUrl: config.rerank.endpointUrl,
          region: config.store.region,
          contentHandler: config.rerank.contentHandler,
          timeoutMs: config.rerank.timeoutMs,
          maxRetries: config.rerank.maxRetries,
        });
    }
  });
  return { embedder, store, crossEncoder };
}

/** Everything answerQuery needs, from the services and the configuration (query Lambda, CLIs). */
export async function queryDeps(services: Services, config: Config, log: Log): Promise<QueryDeps> {
  const [embedder, store, crossEncoder] = await Promise.all([
    services.embedder(),
    services.store(),
    services.crossEncoder(),
  ]);
  return {
    embedder,
    store,
    crossEncoder,
    failurePolicy: config.rerank.failurePolicy,
    defaults: config.query,
    retrieval: config.retrieval,
    log,
  };
}

/** Everything indexDocument / syncDocument need, from the services and the configuration. */
export async function ingestDeps(services: Services, config: Config, log: Log): Promise<IngestDeps> {
  const [embedder, store] = await Promise.all([services.embedder(), services.store()]);
  return {
    store,
    embedder,
    log,
    rules: { extensions: config.ingest.extensions, maxBytes: config.ingest.maxDocumentBytes },
    split: { chunkSize: config.ingest.chunkSize, chunkOverlap: config.ingest.chunkOverlap },
  };
}
