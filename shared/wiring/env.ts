import { z } from 'zod';
import { DEFAULT_MAX_EXTRACTED_CHARS, DEFAULT_PDF_ISOLATION } from '../pipeline/ingest/document.js';
import { RETRIEVAL_MODES } from '../pipeline/query/retrieval.js';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const dtype = z.enum(['int8', 'fp32']);
export const lambdaName = z.string().regex(/^[A-Za-z0-9_:.-]{1,170}$/, 'a Lambda function name or ARN');
export const emptyToUndefined = (v: unknown): unknown => (v === '' ? undefined : v);

/**
 * Every environment variable the project reads, validated once; shared/wiring/config.ts turns them into a Config.
 * Defaults are the local ones; serverless.yml sets the AWS values. Documented in docs/configuration.md (test/docs/manual.test.ts keeps it whole).
 */
export const envSchema = z.object({
  EMBEDDING_MODEL: z.string().min(1).default('Xenova/all-MiniLM-L6-v2'),
  EMBEDDING_DTYPE: dtype.default('int8'),
  EMBEDDING_POOLING: z.enum(['mean', 'cls']).default('mean'),
  EMBEDDING_NORMALIZE: bool.default('true'),
  /** Must match how the embedding model was trained: cosine for normalised models, dot for dot-product ones. */
  VECTOR_METRIC: z.enum(['cosine', 'dot', 'l2']).default('cosine'),
  EMBEDDING_BATCH_SIZE: int(1, 512).default(8),
  /** Prefixes for instruction-tuned embedders (e5: "query: " / "passage: "); empty for MiniLM. */
  EMBEDDING_QUERY_PREFIX: z.string().max(512).default(''),
  EMBEDDING_DOCUMENT_PREFIX: z.string().max(512).default(''),
  MODELS_DIR: z.string().min(1).optional(),
  ALLOW_REMOTE_MODELS: bool.default('true'),
  MODEL_CACHE_DIR: z.string().min(1).optional(),

  VECTOR_DB_URI: z.string().min(1).default('.data/lancedb'),
  VECTOR_TABLE: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ or -')
    .default('chunks'),
  /** How stale a warm query container's view of the table may be, in seconds (0 = check every query). */
  VECTOR_READ_CONSISTENCY_S: z.coerce.number().min(0).max(3600).default(2),
  /** Rows from which the maintenance function builds an ANN (IVF-PQ) vector index; below it search is exact. */
  VECTOR_INDEX_MIN_ROWS: int(256, 1_000_000_000).default(100_000),
  S3_ENDPOINT: z.string().url().optional(),
  AWS_REGION: z.string().min(1).default('us-east-1'),
  AWS_ACCESS_KEY_ID: z.string().optional(),
  AWS_SECRET_ACCESS_KEY: z.string().optional(),

  CHUNK_SIZE: int(50, 100_000).default(500),
  CHUNK_OVERLAP: int(0, 50_000).default(100),
  /**
   * 4 MiB: at the measured ~67 chunks/s (npm run bench, one core) that is ≈ 10,000 chunks in ≈ 150 s, well inside
   * the ingest function's 900 s timeout; larger documents are skipped with a logged reason.
   */
  MAX_DOCUMENT_BYTES: int(1, 1_000_000_000).default(4 * 1024 * 1024),
  /**
   * Characters of text one document may yield: a PDF or Word file's text can be many times its bytes, and the
   * chunks to embed grow with the text, not the file.
   */
  MAX_EXTRACTED_CHARS: int(1, 1_000_000_000).default(DEFAULT_MAX_EXTRACTED_CHARS),
  /** Memory (MiB, the child's own baseline included) and time (s) one PDF's extraction may take, in a child process. */
  PDF_MEMORY_MB: int(256, 16_384).default(DEFAULT_PDF_ISOLATION.memoryMb),
  PDF_TIMEOUT_S: int(1, 600).default(DEFAULT_PDF_ISOLATION.timeoutMs / 1000),
  DOCUMENT_EXTENSIONS: z
    .string()
    .default('.txt,.md,.pdf,.html,.htm,.docx')
    .transform((v) =>
      v
        .split(',')
        .map((e) => e.trim().toLowerCase())
        .filter(Boolean),
    ),

  RERANK_BACKEND: z.enum(['local', 'sagemaker', 'none']).default('local'),
  RERANKER_MODEL: z.string().min(1).default('Xenova/ms-marco-MiniLM-L-6-v2'),
  RERANKER_DTYPE: dtype.default('int8'),
  RERANK_BATCH_SIZE: int(1, 1024).default(8),
  SAGEMAKER_ENDPOINT_NAME: z
    .string()
    .regex(/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/)
    .optional(),
  SAGEMAKER_ENDPOINT_URL: z.string().url().optional(),
  SAGEMAKER_CONTENT_HANDLER: z.enum(['pairs', 'tei']).default('pairs'),
  /**
   * Pairs per endpoint request and requests at once: small requests in parallel suit an endpoint with several
   * workers (GPU); one process scores one big request best (the local stack's endpoint: 1000, its cap).
   */
  SAGEMAKER_PAIRS_PER_REQUEST: int(1, 1000).default(32),
  SAGEMAKER_CONCURRENCY: int(1, 16).default(4),
  RERANK_TIMEOUT_MS: int(100, 60_000).default(10_000),
  RERANK_MAX_RETRIES: int(0, 10).default(3),
  /**
   * Fan-out of in-process scoring (RERANK_BACKEND=local): the most shards scored at once by concurrent invocations of
   * SCORING_FUNCTION_NAME, and the fewest pairs worth a shard; smaller sets are scored in-process (bench: fanout).
   */
  RERANK_FANOUT: int(1, 64).default(4),
  RERANK_FANOUT_MIN_PAIRS: int(1, 1000).default(25),
  /** Longest wait for one scoring invocation before it is tried again (once), then scored in-process. */
  RERANK_SHARD_TIMEOUT_MS: int(100, 60_000).default(4000),
  /** The scoring function (serverless.yml's `score`); unset: no fan-out. */
  SCORING_FUNCTION_NAME: lambdaName.optional(),
  /** Lambda Invoke API endpoint override (the local stack's scoring pool); unset on AWS. */
  LAMBDA_ENDPOINT: z.string().url().optional(),
  /** The ingest function, which runs ingestion jobs (POST /ingestion-jobs); unset: jobs are not offered. */
  INGEST_FUNCTION_NAME: lambdaName.optional(),
  /** Lambda Invoke API endpoint override for INGEST_FUNCTION_NAME (the local stack's functions); unset on AWS. */
  INGEST_FUNCTION_ENDPOINT: z.string().url().optional(),
  /** Receives of an ingest message before its queue dead-letters it (serverless.yml's ingestMaxReceiveCount). */
  INGEST_MAX_RECEIVES: int(1, 1000).default(3),
  /** onnxruntime intra-op threads of the in-process cross-encoder; 0: onnxruntime's default (one per physical core). */
  RERANK_THREADS: int(0, 64).default(0),
  /** What the query does when reranking fails after retries: answer 503, or return retrieval order flagged reranked=false. */
  RERANK_FAILURE_POLICY: z.enum(['error', 'fallback']).default('error'),

  /** First stage: vector (the seed's), fts (BM25 over chunk text) or hybrid (reciprocal rank fusion of both). */
  RETRIEVAL_MODE: z.enum(RETRIEVAL_MODES).default('vector'),
  RRF_K: int(1, 1000).default(60),
  RETRIEVE_K: int(1, 100).default(20),
  TOP_N: int(1, 100).default(3),

  /** The documents bucket and the key prefix of its documents (documentsPrefix): tenants are its next segment. */
  DOCUMENTS_BUCKET: z.string().min(3).max(63).default('documents'),
  DOCUMENTS_PREFIX: z.string().max(512).default('docs/'),
  /** Where a document's tenant comes from: empty, the first path segment under DOCUMENTS_PREFIX; else this attribute. */
  TENANT_ATTRIBUTE: z
    .string()
    .regex(/^([A-Za-z][A-Za-z0-9_-]{0,63})?$/, 'a metadata attribute name, or empty for the path')
    .refine((name) => !['source', 'tenant'].includes(name.toLowerCase()), 'source and tenant are reserved names')
    .default(''),
  /** jwt: JWT callers must carry the tenant claim; required: every search is scoped; off: none must (shared/pipeline/tenants.ts). */
  TENANCY: z.enum(['jwt', 'required', 'off']).default('jwt'),
  /** The JWT claim naming the caller's tenant (Cognito custom attributes: `custom:tenant`). */
  TENANT_CLAIM: z.string().min(1).max(128).default('tenant'),
  /** The SSM SecureString holding the allowed API key hashes (the authorizer of apiAuth=apikey needs it). */
  API_KEYS_PARAMETER: z.string().max(2048).optional(),
  /** Seconds the authorizer keeps the key hashes before reading them again (0: every request). */
  API_KEYS_CACHE_S: z.coerce
    .number({ invalid_type_error: 'a whole number of seconds' })
    .int()
    .min(0)
    .max(86_400)
    .default(300),
});

export type Env = z.infer<typeof envSchema>;

/** The name of every environment variable loadConfig reads (docs/configuration.md has a row for each). */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(envSchema.shape);
