import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const FIXTURE_MODELS = path.join(here, 'fixtures', 'models');
export const SAMPLE_DOCUMENT = path.join(here, '..', 'samples', 'state_of_the_union.txt');

export interface CrossEncoderReference {
  pairs: [string, string][];
  tokens: number[][];
  models: Record<string, Record<string, number[]>>;
}
export interface EmbeddingReference {
  texts: string[];
  tokens: number[][];
  models: Record<string, Record<string, number[][]>>;
}

export function readReference<T>(name: 'cross_encoder_scores' | 'embedding_vectors'): T {
  return JSON.parse(readFileSync(path.join(here, 'fixtures', 'reference', `${name}.json`), 'utf8')) as T;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} != ${b.length}`);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

/** Environment for the functions' config: fixture models, offline. */
export function fixtureEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    MODELS_DIR: FIXTURE_MODELS,
    ALLOW_REMOTE_MODELS: 'false',
    EMBEDDING_MODEL: 'tiny-embed',
    RERANKER_MODEL: 'tiny-ce',
    ...extra,
  };
}

/** The functions' environment against a local S3 server: LanceDB in s3://vectors/lancedb, its credentials. */
export function localS3Env(
  s3: { endpoint: string; credentials: { accessKeyId: string; secretAccessKey: string } },
  extra: Record<string, string> = {},
): Record<string, string> {
  return fixtureEnv({
    VECTOR_DB_URI: 's3://vectors/lancedb',
    S3_ENDPOINT: s3.endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: s3.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey,
    ...extra,
  });
}

/**
 * `change(key, body)` uploads (or, with null, deletes) an object in `bucket` and returns the notification the local
 * S3 server emitted for it (`events` is what its onEvent listener collects).
 */
export function objectChanger(
  client: import('@aws-sdk/client-s3').S3Client,
  events: import('../local/s3Server.js').S3EventNotification[],
  bucket = 'documents',
) {
  return async (
    key: string,
    body: string | Uint8Array | null,
    metadata?: Record<string, string>,
  ): Promise<import('../local/s3Server.js').S3EventNotification> => {
    const { DeleteObjectCommand, PutObjectCommand } = await import('@aws-sdk/client-s3');
    const { vi } = await import('vitest');
    const before = events.length;
    if (body === null) await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    else await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, Metadata: metadata }));
    await vi.waitFor(() => {
      if (events.length <= before) throw new Error(`no event yet for ${key}`);
    });
    return structuredClone(events[events.length - 1]!);
  };
}

/** An S3 client of a local S3 server (path-style, its credentials). */
export async function localS3Client(s3: {
  endpoint: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
}): Promise<import('@aws-sdk/client-s3').S3Client> {
  const { S3Client } = await import('@aws-sdk/client-s3');
  return new S3Client({
    endpoint: s3.endpoint,
    forcePathStyle: true,
    region: 'us-east-1',
    credentials: s3.credentials,
  });
}

const HANDLERS = {
  ingest: () => import('../functions/ingest/handler.js'),
  documents: () => import('../functions/documents/handler.js'),
};

/** Fresh copies of the named functions' handlers under this environment. */
export function importHandlers(env: Record<string, string>, names: (keyof typeof HANDLERS)[]): Promise<Handler[]> {
  return importWithEnv(env, () =>
    Promise.all(names.map(async (name) => (await HANDLERS[name]()).handler as unknown as Handler)),
  );
}

/** Stubs the environment, then imports fresh copies of handlers that read their config at import. */
export async function importWithEnv<T>(env: Record<string, string>, load: () => Promise<T>): Promise<T> {
  // Imported here, not at the top: benchmarks import this file's neighbours outside vitest.
  const { vi } = await import('vitest');
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
  vi.resetModules();
  return load();
}

/**
 * A Lambda context: the one part of AWS the handlers see that cannot exist here. `remainingMs`: the time left
 * (the ingest function's 900 s timeout unless a test says otherwise).
 */
export function lambdaContext(functionName = 'test', remainingMs = 900_000): import('aws-lambda').Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '2048',
    awsRequestId: `req-${Math.random().toString(16).slice(2)}`,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => remainingMs,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** Loads an event fixture as a fresh copy. */
export function eventFixture<T = unknown>(name: string): T {
  return structuredClone(JSON.parse(readFileSync(path.join(here, 'events', name), 'utf8'))) as T;
}

/** A Lambda handler as the tests call it (through its middy chain). */
export type Handler = (event: unknown, context: unknown) => Promise<unknown>;

/** What a handler answers an API Gateway event. */
export interface HttpResult {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * The chunks table on a local S3 server, opened as the functions open it (tiny-embed, 128-d, cosine), with
 * every read checking for new writes.
 */
export async function openLocalS3Table(
  s3Endpoint: string,
): Promise<import('../shared/adapters/lancedb/lanceStore.js').LanceStore> {
  const { LanceStore } = await import('../shared/adapters/lancedb/lanceStore.js');
  const { lanceStorageOptions } = await import('../shared/adapters/lancedb/options.js');
  return LanceStore.open({
    uri: 's3://vectors/lancedb',
    embeddingModel: 'tiny-embed',
    dimension: 128,
    metric: 'cosine',
    readConsistencySeconds: 0,
    storageOptions: lanceStorageOptions({
      region: 'us-east-1',
      s3Endpoint,
      accessKeyId: 'S3RVER',
      secretAccessKey: 'S3RVER',
    }),
  });
}
