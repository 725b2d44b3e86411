import type { TenancySettings } from '../pipeline/tenants.js';
import type { PdfIsolation } from '../pipeline/ingest/document.js';
import { ConfigError } from '../pipeline/errors.js';
import type { RetrievalMode } from '../pipeline/query/retrieval.js';
import { CONFIG_VARIABLES, type Env, emptyToUndefined, envSchema } from './env.js';

export { CONFIG_VARIABLES } from './env.js';

/** Validated, typed configuration. Never log it whole: it may carry credentials. */
export interface Config {
  embedding: {
    model: string;
    dtype: 'int8' | 'fp32';
    pooling: 'mean' | 'cls';
    normalize: boolean;
    metric: 'cosine' | 'dot' | 'l2';
    batchSize: number;
    queryPrefix: string;
    documentPrefix: string;
  };
  models: { dir?: string; allowRemote: boolean; cacheDir?: string };
  store: {
    uri: string;
    table: string;
    readConsistencySeconds: number;
    vectorIndexMinRows: number;
    region: string;
    s3Endpoint?: string;
    accessKeyId?: string;
    secretAccessKey?: string;
  };
  ingest: {
    chunkSize: number;
    chunkOverlap: number;
    maxDocumentBytes: number;
    maxExtractedChars: number;
    extensions: string[];
    pdf: PdfIsolation;
    /** Receives before a message is dead-lettered: the last one's failure leaves its documents failed. */
    maxReceives: number;
  };
  rerank: {
    backend: 'local' | 'sagemaker' | 'none';
    model: string;
    dtype: 'int8' | 'fp32';
    batchSize: number;
    endpointName?: string;
    endpointUrl?: string;
    contentHandler: 'pairs' | 'tei';
    pairsPerRequest: number;
    concurrency: number;
    timeoutMs: number;
    maxRetries: number;
    failurePolicy: 'error' | 'fallback';
    /** onnxruntime intra-op threads; 0: its default. */
    threads: number;
    /** Fan-out over the scoring function; null when off (no function, or at most one shard). */
    fanOut: {
      functionName: string;
      endpoint?: string;
      maxShards: number;
      minPairsPerShard: number;
      shardTimeoutMs: number;
    } | null;
  };
  query: { k: number; topN: number };
  /** The documents API: its bucket, and the ingest function that runs its jobs (null: no jobs). */
  documents: { bucket: string; ingestFunction: { name: string; endpoint?: string } | null };
  tenancy: TenancySettings;
  retrieval: { mode: RetrievalMode; rrfK: number };
  /** API keys (the authorizer): where their hashes are and how long they are kept. */
  auth: { keysParameter: string | null; cacheSeconds: number };
}

function toConfig(env: Env): Config {
  return {
    embedding: {
      model: env.EMBEDDING_MODEL,
      dtype: env.EMBEDDING_DTYPE,
      pooling: env.EMBEDDING_POOLING,
      normalize: env.EMBEDDING_NORMALIZE,
      metric: env.VECTOR_METRIC,
      batchSize: env.EMBEDDING_BATCH_SIZE,
      queryPrefix: env.EMBEDDING_QUERY_PREFIX,
      documentPrefix: env.EMBEDDING_DOCUMENT_PREFIX,
    },
    models: { dir: env.MODELS_DIR, allowRemote: env.ALLOW_REMOTE_MODELS, cacheDir: env.MODEL_CACHE_DIR },
    store: {
      uri: env.VECTOR_DB_URI,
      table: env.VECTOR_TABLE,
      readConsistencySeconds: env.VECTOR_READ_CONSISTENCY_S,
      vectorIndexMinRows: env.VECTOR_INDEX_MIN_ROWS,
      region: env.AWS_REGION,
      s3Endpoint: env.S3_ENDPOINT,
      accessKeyId: env.AWS_ACCESS_KEY_ID,
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
    },
    ingest: {
      chunkSize: env.CHUNK_SIZE,
      chunkOverlap: env.CHUNK_OVERLAP,
      maxDocumentBytes: env.MAX_DOCUMENT_BYTES,
      maxExtractedChars: env.MAX_EXTRACTED_CHARS,
      pdf: { memoryMb: env.PDF_MEMORY_MB, timeoutMs: env.PDF_TIMEOUT_S * 1000 },
      extensions: env.DOCUMENT_EXTENSIONS,
      maxReceives: env.INGEST_MAX_RECEIVES,
    },
    rerank: {
      backend: env.RERANK_BACKEND,
      model: env.RERANKER_MODEL,
      dtype: env.RERANKER_DTYPE,
      batchSize: env.RERANK_BATCH_SIZE,
      endpointName: env.SAGEMAKER_ENDPOINT_NAME,
      endpointUrl: env.SAGEMAKER_ENDPOINT_URL,
      contentHandler: env.SAGEMAKER_CONTENT_HANDLER,
      pairsPerRequest: env.SAGEMAKER_PAIRS_PER_REQUEST,
      concurrency: env.SAGEMAKER_CONCURRENCY,
      timeoutMs: env.RERANK_TIMEOUT_MS,
      maxRetries: env.RERANK_MAX_RETRIES,
      failurePolicy: env.RERANK_FAILURE_POLICY,
      threads: env.RERANK_THREADS,
      fanOut:
        env.SCORING_FUNCTION_NAME && env.RERANK_FANOUT > 1
          ? {
              functionName: env.SCORING_FUNCTION_NAME,
              endpoint: env.LAMBDA_ENDPOINT,
              maxShards: env.RERANK_FANOUT,
              minPairsPerShard: env.RERANK_FANOUT_MIN_PAIRS,
              shardTimeoutMs: env.RERANK_SHARD_TIMEOUT_MS,
            }
          : null,
    },
    query: { k: env.RETRIEVE_K, topN: env.TOP_N },
    documents: {
      bucket: env.DOCUMENTS_BUCKET,
      ingestFunction: env.INGEST_FUNCTION_NAME
        ? { name: env.INGEST_FUNCTION_NAME, endpoint: env.INGEST_FUNCTION_ENDPOINT }
        : null,
    },
    tenancy: {
      documentsPrefix: env.DOCUMENTS_PREFIX,
      attribute: env.TENANT_ATTRIBUTE || null,
      mode: env.TENANCY,
      claim: env.TENANT_CLAIM,
    },
    retrieval: { mode: env.RETRIEVAL_MODE, rrfK: env.RRF_K },
    auth: { keysParameter: env.API_KEYS_PARAMETER?.trim() || null, cacheSeconds: env.API_KEYS_CACHE_S },
  };
}

/**
 * Reads and validates the configuration from environment variables.
 * @throws ConfigError naming every invalid variable.
 * @example const config = loadConfig(); // at module scope, once per container
 */
export function loadConfig(source: Record<string, string | undefined> = process.env): Config {
  const keys = CONFIG_VARIABLES as (keyof Env)[];
  const picked = Object.fromEntries(keys.map((k) => [k, emptyToUndefined(source[k])]));
  const parsed = envSchema.safeParse(picked);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigError(`Invalid configuration: ${problems}`);
  }
  const env = parsed.data;
  if (env.CHUNK_OVERLAP >= env.CHUNK_SIZE) {
    throw new ConfigError('Invalid configuration: CHUNK_OVERLAP must be smaller than CHUNK_SIZE');
  }
  if (env.RERANK_BACKEND === 'sagemaker' && !env.SAGEMAKER_ENDPOINT_NAME) {
    throw new ConfigError('Invalid configuration: SAGEMAKER_ENDPOINT_NAME is required when RERANK_BACKEND=sagemaker');
  }
  if (env.TOP_N > env.RETRIEVE_K) {
    throw new ConfigError('Invalid configuration: TOP_N must not exceed RETRIEVE_K');
  }
  return toConfig(env);
}
