/**
 * npm start — the local stack: the cloud layout on one machine, each long-lived part in its own supervised
 * process (restarted if it dies):
 *   s3         the local S3 server (uploads and deletes fire the ingest function)
 *   endpoint   the cross-encoder endpoint server (SageMaker container contract)
 *   functions  serverless-offline with the functions of serverless.yml
 *   score-N    with RERANK_BACKEND=local and RERANK_FANOUT > 1: SCORING_INSTANCES (RERANK_FANOUT) instances of the
 *              scoring function, each its own process and model, behind the Lambda Invoke API on SCORING_PORT
 * and, in this process, the front doors of the functions (POST /query on :3000, the Lambda invoke API on :3002:
 * a clear 503 while the functions restart) and the queue that delivers S3 events to the ingest function in
 * SQS batches (failed messages retried, then recorded in <STACK_DATA_DIR>/ingest-failures.jsonl, the local
 * dead-letter queue). Ports: S3_PORT, HTTP_PORT, LAMBDA_PORT, ENDPOINT_PORT; data: STACK_DATA_DIR (.data),
 * S3_DATA_DIR (<data>/s3); batches: INGEST_BATCH_SIZE (10), INGEST_BATCH_WINDOW_MS (500).
 * This process loads no native module: it only supervises, proxies and delivers.
 */
import { appendFile } from 'node:fs/promises';
import { mkdirSync, rmSync } from 'node:fs';
import type http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isPageRequest } from '../functions/page/paths.js';
import { sendJson, startFrontDoor } from '../local/frontDoor.js';
import { IngestQueue } from '../local/ingestQueue.js';
import { invokeFunction } from '../local/invokeFunction.js';
import type { S3EventNotification } from '../local/s3Server.js';
import {
  cleanUpPreviousRun,
  ensurePortsFree,
  freePort,
  removeState,
  writeState,
  type StackState,
} from '../local/stackState.js';
import { startScoringPool } from '../local/scoringPool.js';
import { Supervisor } from '../local/supervisor.js';
import { UPLOADS_PATH, uploadRoute } from '../local/uploads.js';
import { bearerKey, isAllowedKey, localKeyHashes } from '../shared/api/apiKeys.js';
import { loadConfig } from '../shared/wiring/config.js';
import { documentRules } from '../shared/wiring/services.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const envNumber = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const out = (line: string) => process.stdout.write(`${line}\n`);
/** The scoring function's name on the local stage (serverless.yml's `score`, service-stage-function). */
const SCORING_FUNCTION = 'rerank-pipeline-local-score';
/** Where the search page's uploads go: the documents bucket, under serverless.yml's documentsPrefix. */
const UPLOADS = { bucket: 'documents', prefix: 'docs/' } as const;
/** The ingest queue's IngestQueueStats on the Lambda port: a path the Invoke API does not use. */
const INGEST_STATS_PATH = '/_local/ingest-stats';

async function main(): Promise<void> {
  // Fail here, with the variable's name, not inside a part; read as the functions read it (their scoring function set).
  const config = loadConfig({ ...process.env, SCORING_FUNCTION_NAME: SCORING_FUNCTION });
  const fanOut = config.rerank.backend === 'local' ? config.rerank.fanOut : null;
  // Open by default; API_KEYS / API_KEY_HASHES make the HTTP front door check `Authorization: Bearer <key>` as the
  // deployed API does with apiAuth=apikey. The Lambda invoke API stays open (IAM-only on AWS). The search page's
  // files hold no data and are open, as on AWS; its searches and uploads carry the key its user enters.
  const keyHashes = localKeyHashes(process.env);
  const authorize = keyHashes
    ? (req: http.IncomingMessage) =>
        isPageRequest(req.method, req.url) || isAllowedKey(bearerKey(req.headers.authorization), keyHashes)
    : undefined;
  const ports = {
    s3: envNumber('S3_PORT', 4569),
    http: envNumber('HTTP_PORT', 3000),
    lambda: envNumber('LAMBDA_PORT', 3002),
    endpoint: envNumber('ENDPOINT_PORT', 8080),
    scoring: envNumber('SCORING_PORT', 3004),
  };
  const scoringInstances = fanOut ? envNumber('SCORING_INSTANCES', fanOut.maxShards) : 0;
  const dataDir = path.resolve(process.env.STACK_DATA_DIR ?? '.data');
  const s3DataDir = path.resolve(process.env.S3_DATA_DIR ?? path.join(dataDir, 's3'));
  const stateFile = path.join(dataDir, 'stack.json');
  const failuresFile = path.join(dataDir, 'ingest-failures.jsonl');
  mkdirSync(s3DataDir, { recursive: true });
  mkdirSync(dataDir, { recursive: true });

  const cleaned = cleanUpPreviousRun(stateFile);
  if (cleaned.length) out(`[supervisor] stopped what a previous run left running: ${cleaned.join(', ')}`);
  await ensurePortsFree([
    { port: ports.s3, variable: 'S3_PORT' },
    { port: ports.http, variable: 'HTTP_PORT' },
    { port: ports.lambda, variable: 'LAMBDA_PORT' },
    { port: ports.endpoint, variable: 'ENDPOINT_PORT' },
    ...(fanOut ? [{ port: ports.scoring, variable: 'SCORING_PORT' }] : []),
  ]);
  const inner = { http: await freePort(), lambda: await freePort() };
  const s3Endpoint = `http://127.0.0.1:${ports.s3}`;
  const endpointUrl = `http://127.0.0.1:${ports.endpoint}`;
  const scoringUrl = `http://127.0.0.1:${ports.scoring}`;

  const state: StackState = { supervisorPid: process.pid, parts: {}, startedAt: new Date().toISOString() };
  const supervisor = new Supervisor({
    write: out,
    onSpawn: (name, pgid) => {
      state.parts[name] = pgid;
      writeState(stateFile, state);
    },
  });
  writeState(stateFile, state);

  let stopping = false;
  const doors: { close(): Promise<void> }[] = [];
  const stop = async (code: number): Promise<never> => {
    if (!stopping) {
      stopping = true;
      await supervisor.stop();
      await Promise.all(doors.map((d) => d.close()));
      removeState(stateFile);
    }
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
  process.on('SIGHUP', () => void stop(0));
  process.on('uncaughtException', (error) => {
    out(`[supervisor] ${error.message}; stopping`);
    void stop(1);
  });

  const preload = ['--require', path.join(root, 'local', 'exitWithParent.cjs')];
  const tsx = [...preload, '--import', 'tsx'];
  const baseEnv = { ...process.env, AWS_REGION: config.store.region };

  // Uploads and deletes reach the ingest function as on AWS: S3 → queue → batches of SQS messages.
  const ingestUrl = `http://127.0.0.1:${inner.lambda}/2015-03-31/functions/rerank-pipeline-local-ingest/invocations`;
  const ingestQueue = new IngestQueue({
    invoke: (event) => invokeFunction(ingestUrl, event),
    onDeadLetter: (dead) => appendFile(failuresFile, `${JSON.stringify(dead)}\n`),
    log: out,
    batchSize: envNumber('INGEST_BATCH_SIZE', 10),
    batchWindowMs: envNumber('INGEST_BATCH_WINDOW_MS', 500),
  });

  const s3Credentials = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' };
  // This stack's own bundle folder (serverless.yml's outputWorkFolder): a stale bundle from an older build setting
  // would shadow the new one, and another stack running from the same folder keeps its own.
  const esbuildSuffix = `-${ports.http}`;
  rmSync(path.join(root, `.esbuild-local${esbuildSuffix}`), { recursive: true, force: true });
  // The scoring function's instances, each a Lambda instance of its own: one process, one model, one call at a time.
  const scoringParts = Array.from({ length: scoringInstances }, (_, i) => `score-${i + 1}`);
  const instanceUrls = new Map<string, string>();
  if (fanOut) {
    doors.push(
      await startScoringPool({
        port: ports.scoring,
        functionName: SCORING_FUNCTION,
        instances: () =>
          scoringParts.flatMap((name) => {
            const url = instanceUrls.get(name);
            return url && supervisor.state(name) === 'ready' ? [url] : [];
          }),
      }),
    );
  }
  try {
    await Promise.all([
      ...scoringParts.map((name) =>
        supervisor.start({
          name,
          command: process.execPath,
          args: [...tsx, path.join(root, 'local', 'scoringInstance.ts')],
          env: { ...baseEnv, SCORING_FUNCTION_NAME: SCORING_FUNCTION, POWERTOOLS_SERVICE_NAME: name },
          onMessage: (message) => {
            if (message.type === 'ready') instanceUrls.set(name, message.url);
          },
        }),
      ),
      supervisor.start({
        name: 's3',
        command: process.execPath,
        args: [...tsx, path.join(root, 'local', 's3Part.ts')],
        env: { ...baseEnv, S3_PORT: String(ports.s3), S3_DATA_DIR: s3DataDir },
        onMessage: (message) => {
          if (message.type !== 's3-event') return;
          const event: S3EventNotification = message.event;
          if (event.Records.every((r) => r.s3.bucket.name === 'documents')) ingestQueue.send(event);
        },
      }),
      supervisor.start({
        name: 'endpoint',
        command: process.execPath,
        args: [...tsx, path.join(root, 'cli', 'endpoint.ts'), '--port', String(ports.endpoint)],
        env: baseEnv,
        probe: async () => (await fetch(`${endpointUrl}/ping`, { signal: AbortSignal.timeout(1000) })).ok,
      }),
      supervisor.start({
        name: 'functions',
        command: process.execPath,
        args: [...preload, require.resolve('serverless/bin/serverless.js'), 'offline', 'start', '--stage', 'local'],
        cwd: root,
        env: {
          ...baseEnv,
          ...s3Credentials,
          S3_ENDPOINT: s3Endpoint,
          SAGEMAKER_ENDPOINT_URL: endpointUrl,
          ...(fanOut ? { LAMBDA_ENDPOINT: scoringUrl } : {}),
          // Ingestion jobs start the ingest function through the Lambda door (it stays put across restarts).
          INGEST_FUNCTION_ENDPOINT: `http://127.0.0.1:${ports.lambda}`,
          FUNCTIONS_HTTP_PORT: String(inner.http),
          FUNCTIONS_LAMBDA_PORT: String(inner.lambda),
          ESBUILD_WORK_SUFFIX: esbuildSuffix,
        },
        // A restart serves the bundles the first start built (local/reuse-build.cjs): the code has not changed.
        restartEnv: { STACK_REUSE_BUILD: '1' },
        probe: async () => {
          const answers = await Promise.all(
            [inner.http, inner.lambda].map((p) =>
              fetch(`http://127.0.0.1:${p}/`, { signal: AbortSignal.timeout(1000) }).then(
                () => true,
                () => false,
              ),
            ),
          );
          return answers.every(Boolean);
        },
      }),
    ]);
  } catch (error) {
    out(`[supervisor] the stack did not start: ${(error as Error).message} (see the part's output above)`);
    return stop(1);
  }

  const functionsUp = (p: number) => () => (supervisor.state('functions') === 'ready' ? `http://127.0.0.1:${p}` : null);
  // The search page's upload box: files checked as ingestion checks them, stored where uploads fire ingestion.
  const uploads = uploadRoute({
    s3Endpoint,
    bucket: UPLOADS.bucket,
    prefix: UPLOADS.prefix,
    rules: documentRules(config),
    log: out,
  });
  doors.push(
    await startFrontDoor({
      port: ports.http,
      upstream: functionsUp(inner.http),
      label: 'the functions',
      authorize,
      handle: uploads,
    }),
    await startFrontDoor({
      port: ports.lambda,
      upstream: functionsUp(inner.lambda),
      label: 'the functions',
      deadlineMs: 900_000,
      // What the ingest queue did (SQS requests, invocations, billed time), for the cost benchmark.
      handle: (req, res) => {
        if (req.method !== 'GET' || req.url !== INGEST_STATS_PATH) return false;
        sendJson(res, 200, { ...ingestQueue.stats(), pending: ingestQueue.pending });
        return true;
      },
    }),
  );

  const reconcileEnv = `VECTOR_DB_URI=s3://vectors/lancedb S3_ENDPOINT=${s3Endpoint} AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER`;
  out(
    [
      '',
      `local S3         ${s3Endpoint}  (buckets: documents, vectors; credentials S3RVER/S3RVER)`,
      `cross-encoder    ${endpointUrl}  (SageMaker container contract)`,
      fanOut
        ? `scoring function ${scoringUrl}  (Lambda Invoke API; ${scoringInstances} instance(s), up to ${fanOut.maxShards} shards, one per ${fanOut.minPairsPerShard} pairs)`
        : 'scoring function not started (in-process scoring unfanned: RERANK_BACKEND=local with RERANK_FANOUT > 1 starts it)',
      `search page      http://127.0.0.1:${ports.http}/  (uploads: ${UPLOADS_PATH} → ${UPLOADS.bucket}/${UPLOADS.prefix})`,
      `query API        http://127.0.0.1:${ports.http}/query  (Lambda invoke API on :${ports.lambda})`,
      keyHashes
        ? `API keys         checked on :${ports.http} (${keyHashes.size} from API_KEYS/API_KEY_HASHES; send Authorization: Bearer <key>)`
        : `API keys         not checked (open; set API_KEYS to check them)`,
      `failed ingests   ${failuresFile}`,
      '',
      'Upload a document (fires the ingest function):',
      `  curl -sT samples/state_of_the_union.txt ${s3Endpoint}/documents/docs/state_of_the_union.txt`,
      'Ask a question:',
      `  curl -s http://127.0.0.1:${ports.http}/query -H 'content-type: application/json'${keyHashes ? " -H 'authorization: Bearer <key>'" : ''} -d '{"query": "What is the plan for the economy?"}'`,
      'Bring the index in line with the bucket (after failed ingests):',
      `  ${reconcileEnv} npm run ingest -- --reconcile s3://documents/docs/`,
      'Ctrl-C stops everything.',
      '',
      'Stack ready.',
    ].join('\n'),
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
