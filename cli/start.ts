/**
 * npm start — the local stack: the local S3 server (uploads fire the ingest function), serverless-offline
 * (POST /query on :3000, Lambda invoke API on :3002) and the local cross-encoder endpoint (:8080).
 * Ports: S3_PORT, HTTP_PORT, LAMBDA_PORT, ENDPOINT_PORT; objects kept in S3_DATA_DIR (.data/s3).
 * Models: MODELS_DIR / EMBEDDING_MODEL / RERANKER_MODEL.
 * Ctrl-C stops everything (serverless-offline runs in its own process group, killed as a group).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { startEndpointServer } from '../endpoint/server.js';
import { decodeS3Key } from '../functions/ingest/s3Event.js';
import { startLocalS3, type S3EventNotification } from '../local/s3Server.js';
import { LocalCrossEncoder } from '../shared/rerank/localCrossEncoder.js';
import { cliConfig, runCli } from './common.js';

const port = (name: string, fallback: number) => Number(process.env[name] ?? fallback);

runCli(async () => {
  const s3Port = port('S3_PORT', 4569);
  const httpPort = port('HTTP_PORT', 3000);
  const lambdaPort = port('LAMBDA_PORT', 3002);
  const endpointPort = port('ENDPOINT_PORT', 8080);
  const config = cliConfig();

  // A stale bundle from an older build setting would shadow the new one.
  rmSync('.esbuild-local', { recursive: true, force: true });
  const dataDir = path.resolve(process.env.S3_DATA_DIR ?? path.join('.data', 's3'));
  mkdirSync(dataDir, { recursive: true });
  const s3 = await startLocalS3({ port: s3Port, directory: dataDir, buckets: ['documents', 'vectors'] });
  const encoder = await LocalCrossEncoder.create({ model: config.rerank.model, dtype: config.rerank.dtype });
  const endpoint = await startEndpointServer({ encoder, port: endpointPort, log: console });

  const offline = spawn('npx', ['serverless', 'offline', 'start', '--stage', 'local'], {
    detached: true, // own process group: npx leaves children behind when only the wrapper is killed
    stdio: ['ignore', 'inherit', 'inherit'],
    env: {
      ...process.env,
      S3_ENDPOINT: s3.endpoint,
      SAGEMAKER_ENDPOINT_URL: endpoint.url,
      AWS_ACCESS_KEY_ID: s3.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey,
      AWS_REGION: config.store.region,
      HTTP_PORT: String(httpPort),
      LAMBDA_PORT: String(lambdaPort),
    },
  });

  // Uploads and deletes fire the ingest function through the Lambda invoke API, as S3 would.
  const invokeUrl = `http://127.0.0.1:${lambdaPort}/2015-03-31/functions/rerank-pipeline-local-ingest/invocations`;
  s3.onEvent((event: S3EventNotification) => {
    if (!event.Records.every((r) => r.s3.bucket.name === 'documents')) return;
    fetch(invokeUrl, { method: 'POST', body: JSON.stringify(event) })
      .then(async (res) => {
        const keys = event.Records.map((r) => `${r.eventName} ${decodeS3Key(r.s3.object.key)}`);
        process.stdout.write(`ingest ← ${keys.join(', ')}: ${res.status} ${(await res.text()).slice(0, 300)}\n`);
      })
      .catch((error: unknown) => process.stderr.write(`ingest invoke failed: ${(error as Error).message}\n`));
  });

  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    try {
      if (offline.pid) process.kill(-offline.pid, 'SIGTERM');
    } catch {
      // already gone
    }
    await Promise.all([endpoint.close(), s3.close()]);
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
  offline.on('exit', (code) => void stop(code ?? 1));

  process.stdout.write(
    [
      '',
      `local S3         ${s3.endpoint}  (buckets: documents, vectors; credentials S3RVER/S3RVER)`,
      `cross-encoder    ${endpoint.url}  (${encoder.name}, SageMaker container contract)`,
      `query API        http://127.0.0.1:${httpPort}/query  (serverless-offline; Lambda invoke API on :${lambdaPort})`,
      '',
      'Upload a document (fires the ingest function):',
      `  curl -sT samples/state_of_the_union.txt ${s3.endpoint}/documents/docs/state_of_the_union.txt`,
      'Ask a question:',
      `  curl -s http://127.0.0.1:${httpPort}/query -H 'content-type: application/json' -d '{"query": "What is the plan for the economy?"}'`,
      'Ctrl-C stops everything.',
      '',
    ].join('\n'),
  );
});
