import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../shared/wiring/config.js';
import { SIDECAR_SUFFIX } from '../../shared/pipeline/metadata.js';
import { nativeFiles } from '../../layers/elf.js';
import { FIXTURE_MODELS } from '../helpers.js';
import { DEPLOYED_BATCH } from '../../bench/documents.js';

interface Resource {
  Type: string;
  Condition?: string;
  Properties: Record<string, unknown>;
}
interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
}

/**
 * Node.js runtimes and the day AWS deprecates each (AWS Lambda runtimes page): from then on Lambda stops accepting
 * new or updated functions on it. Add a row when AWS announces a runtime.
 */
const NODE_RUNTIME_DEPRECATION: Record<string, string> = {
  'nodejs18.x': '2025-09-01',
  'nodejs20.x': '2026-04-30',
  'nodejs22.x': '2027-04-30',
  'nodejs24.x': '2028-04-30',
};

/** Fails once the runtime is deprecated: that is the point, it says the stack must move on. */
function expectSupportedRuntime(runtime: unknown): void {
  expect(Object.keys(NODE_RUNTIME_DEPRECATION)).toContain(runtime);
  const deprecated = new Date(`${NODE_RUNTIME_DEPRECATION[runtime as string]!}T00:00:00Z`);
  expect(
    deprecated.getTime(),
    `${String(runtime)} is deprecated since ${NODE_RUNTIME_DEPRECATION[runtime as string]}`,
  ).toBeGreaterThan(Date.now());
}

const root = path.resolve(import.meta.dirname, '..', '..');
let out: string;
let unpacked: string;
let resources: Record<string, Resource>;

function run(command: string, args: string[], env: Record<string, string> = {}): string {
  const result = spawnSync(command, args, {
    cwd: root,
    env: { ...process.env, AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'x', ...env },
    encoding: 'utf8',
    timeout: 280_000,
  });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed:\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const statementsOf = (role: string): Statement[] =>
  (resources[role]!.Properties.Policies as { PolicyDocument: { Statement: Statement[] } }[]).flatMap(
    (p) => p.PolicyDocument.Statement,
  );
const actions = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);
const roles = () => ofType('AWS::IAM::Role').map(([id]) => id);

beforeAll(() => {
  out = mkdtempSync(path.join(os.tmpdir(), 'sls-'));
  // Layers from the test fixtures, so the check needs nothing outside the repository.
  run('npx', ['tsx', 'layers/build.ts', '--embedding-model', 'tiny-embed', '--reranker-model', 'tiny-ce'], {
    MODELS_DIR: FIXTURE_MODELS,
  });
  run('npx', ['serverless', 'package', '--package', out]);
  const template = JSON.parse(readFileSync(path.join(out, 'cloudformation-template-update-stack.json'), 'utf8')) as {
    Resources: Record<string, Resource>;
  };
  resources = template.Resources;
  unpacked = path.join(out, 'unpacked');
  for (const [zip, dir] of [
    ['query.zip', 'query'],
    ['page.zip', 'page'],
    ['score.zip', 'score'],
    ['lancedb.zip', 'opt'],
    ['onnx.zip', 'opt'],
    ['models.zip', 'opt'],
  ]) {
    run('python3', ['-m', 'zipfile', '-e', path.join(out, zip!), path.join(unpacked, dir!)]);
  }
}, 300_000);

afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('serverless package (offline)', () => {
  it('declares the functions on supported runtimes, their three layers, the queues and the IAM-authorised API route', () => {
    expect(
      ofType('AWS::Lambda::Function')
        .map(([id]) => id)
        .sort(),
    ).toEqual([
      'AuthorizerLambdaFunction',
      'DocumentsLambdaFunction',
      'IngestLambdaFunction',
      'MaintainLambdaFunction',
      'PageLambdaFunction',
      'QueryLambdaFunction',
      'RerankLambdaFunction',
      'ScoreLambdaFunction',
    ]);
    expect(ofType('AWS::Lambda::LayerVersion')).toHaveLength(3);
    expect(
      ofType('AWS::SQS::Queue')
        .map(([id]) => id)
        .sort(),
    ).toEqual(['IngestDeadLetterQueue', 'IngestQueue']);
    for (const [, fn] of ofType('AWS::Lambda::Function')) expectSupportedRuntime(fn.Properties.Runtime);
    for (const [, layer] of ofType('AWS::Lambda::LayerVersion')) {
      const runtimes = layer.Properties.CompatibleRuntimes as unknown[];
      expect(runtimes.length).toBeGreaterThan(0);
      for (const runtime of runtimes) expectSupportedRuntime(runtime);
    }
    const route = ofType('AWS::ApiGatewayV2::Route')[0]![1];
    expect(route.Properties).toMatchObject({ RouteKey: 'POST /query', AuthorizationType: 'AWS_IAM' });
  });

  it('sends created and removed events of documents and sidecars under the prefix to the ingest queue, only from S3', () => {
    const bucket = ofType('AWS::S3::Bucket').find(([, b]) => b.Properties.NotificationConfiguration)![1];
    const configs = (
      bucket.Properties.NotificationConfiguration as {
        QueueConfigurations: { Event: string; Queue: unknown; Filter: unknown }[];
      }
    ).QueueConfigurations;
    expect(new Set(configs.map((c) => c.Event))).toEqual(new Set(['s3:ObjectCreated:*', 's3:ObjectRemoved:*']));
    for (const c of configs) {
      expect(JSON.stringify(c.Filter)).toContain('"Name":"prefix","Value":"docs/"');
      expect(c.Queue).toEqual({ 'Fn::GetAtt': ['IngestQueue', 'Arn'] });
    }
    // Every type ingestion accepts by default, created and removed alike.
    const suffixes = (event: string) =>
      configs
        .filter((c) => c.Event === event)
        .map((c) => (c.Filter as { S3Key: { Rules: { Name: string; Value: string }[] } }).S3Key.Rules)
        .map((rules) => rules.find((r) => r.Name === 'suffix')!.Value)
        .sort();
    // ...and the metadata sidecars, whose events re-apply their document's metadata.
    const accepted = [...loadConfig({}).ingest.extensions, SIDECAR_SUFFIX].sort();
    expect(suffixes('s3:ObjectCreated:*')).toEqual(accepted);
    expect(suffixes('s3:ObjectRemoved:*')).toEqual(accepted);
    expect(accepted).toEqual(['.docx', '.htm', '.html', '.md', '.metadata.json', '.pdf', '.txt']);
    expect(bucket.Properties.PublicAccessBlockConfiguration).toMatchObject({
      BlockPublicAcls: true,
      RestrictPublicBuckets: true,
    });
    const policy = ofType('AWS::SQS::QueuePolicy')[0]![1];
    const [send] = (policy.Properties.PolicyDocument as { Statement: Statement[] & { Principal: unknown }[] })
      .Statement;
    expect(send).toMatchObject({ Action: 'sqs:SendMessage', Principal: { Service: 's3.amazonaws.com' } });
    expect(JSON.stringify(send!.Condition)).toContain('"aws:SourceArn":"arn:aws:s3:::rerank-pipeline-dev-documents"');
  });

  it('feeds ingest in batches with partial batch responses, and dead-letters a message after 3 receives', () => {
    const [, mapping] = ofType('AWS::Lambda::EventSourceMapping')[0]!;
    expect(mapping.Properties).toMatchObject({
      BatchSize: 50,
      MaximumBatchingWindowInSeconds: 5,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 10 },
      EventSourceArn: { 'Fn::GetAtt': ['IngestQueue', 'Arn'] },
    });
    const queue = resources.IngestQueue!.Properties;
    expect(queue.RedrivePolicy).toEqual({
      deadLetterTargetArn: { 'Fn::GetAtt': ['IngestDeadLetterQueue', 'Arn'] },
      maxReceiveCount: 3,
    });
    // A batch still running must never be handed to a second invocation: visibility ≥ 6 × the function's timeout.
    const timeout = resources.IngestLambdaFunction!.Properties.Timeout as number;
    expect(queue.VisibilityTimeout as number).toBeGreaterThanOrEqual(6 * timeout);
    // The documents bench measures status upkeep at the batch size deployed.
    expect(mapping.Properties.BatchSize).toBe(DEPLOYED_BATCH);
  });

  it('schedules the maintenance function hourly', () => {
    const rule = ofType('AWS::Events::Rule')[0]![1];
    expect(rule.Properties.ScheduleExpression).toBe('rate(1 hour)');
    expect(JSON.stringify(rule.Properties.Targets)).toContain('MaintainLambdaFunction');
  });

  it('keeps log retention bounded', () => {
    for (const [, group] of ofType('AWS::Logs::LogGroup')) expect(group.Properties.RetentionInDays).toBe(30);
  });

  it('grants least privilege: no wildcard actions, no wildcard resources in the function roles', () => {
    // X-Ray's two write actions take no resource (as in AWS's AWSXRayDaemonWriteAccess): the one '*' allowed.
    const xray = ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'];
    const roles = [
      'IngestRole',
      'QueryRole',
      'MaintainRole',
      'AuthorizerRole',
      'RerankRole',
      'PageRole',
      'ScoreRole',
      'DocumentsRole',
    ];
    for (const role of roles) {
      for (const s of statementsOf(role)) {
        expect(actions(s).every((a) => !a.includes('*'))).toBe(true);
        if (!actions(s).every((a) => xray.includes(a))) expect(s.Resource).not.toBe('*');
      }
    }
    const ingestQueue = statementsOf('IngestRole').filter((s) => actions(s).some((a) => a.startsWith('sqs:')));
    expect(ingestQueue.flatMap(actions).sort()).toEqual([
      'sqs:DeleteMessage',
      'sqs:GetQueueAttributes',
      'sqs:ReceiveMessage',
    ]);
    expect(ingestQueue.map((s) => s.Resource)).toEqual([{ 'Fn::GetAtt': ['IngestQueue', 'Arn'] }]);
  });

  it('traces ingest and query with X-Ray', () => {
    for (const fn of ['IngestLambdaFunction', 'QueryLambdaFunction']) {
      expect(resources[fn]!.Properties.TracingConfig).toEqual({ Mode: 'Active' });
    }
  });

  it('serves the search page on GET / and GET /page/{file}, without an authorizer, from its bundle alone', () => {
    const routes = ofType('AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties);
    const page = routes.filter((r) => r.RouteKey === 'GET /' || r.RouteKey === 'GET /page/{file}');
    expect(page.map((r) => r.AuthorizationType ?? 'NONE')).toEqual(['NONE', 'NONE']);
    expect(statementsOf('PageRole').flatMap(actions).sort()).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
    expect(statSync(path.join(out, 'page.zip')).size).toBeLessThan(100 * 1024);
    const script = `
      const { handler } = require(${JSON.stringify(path.join(unpacked, 'page', 'functions', 'page', 'handler.cjs'))});
      Promise.all(['/', '/page/app.js', '/page/missing.js'].map((rawPath) => handler({ rawPath, requestContext: { requestId: 'r-1' } })))
        .then((answers) => console.log(JSON.stringify(answers)));`;
    const answers = JSON.parse(run(process.execPath, ['-e', script])) as {
      statusCode: number;
      headers: Record<string, string>;
      body: string;
    }[];
    expect(answers.map((a) => [a.statusCode, a.headers['content-type']])).toEqual([
      [200, 'text/html; charset=utf-8'],
      [200, 'text/javascript; charset=utf-8'],
      [404, 'application/json'],
    ]);
    expect(answers[0]!.body).toContain('<script type="module" src="page/app.js"></script>');
  });

  it('lets ingest read documents and write vectors, and query only read vectors and invoke its endpoint', () => {
    const ingest = statementsOf('IngestRole');
    const query = statementsOf('QueryRole');
    const allowed = (ss: Statement[], action: string) =>
      ss.filter((s) => actions(s).includes(action)).map((s) => JSON.stringify(s.Resource));
    expect(allowed(ingest, 's3:GetObject').join()).toContain('documents/docs/*');
    expect(allowed(ingest, 's3:PutObject').join()).toContain('vectors/lancedb/*');
    expect(allowed(query, 's3:PutObject')).toEqual([]);
    expect(allowed(query, 's3:DeleteObject')).toEqual([]);
    expect(allowed(query, 'sagemaker:InvokeEndpoint').join()).toMatch(/endpoint\/rerank-pipeline-dev-reranker/);
    expect(allowed(ingest, 'sagemaker:InvokeEndpoint')).toEqual([]);
  });

  it('lets the documents API read the index, write and delete only documents, and write only the status table', () => {
    const documents = statementsOf('DocumentsRole');
    const allowed = (action: string) =>
      documents.filter((s) => actions(s).includes(action)).map((s) => JSON.stringify(s.Resource));
    expect(allowed('s3:GetObject').join()).toContain('vectors/lancedb/*');
    // It reads the documents' current versions (HEAD, a list of the documents prefix only).
    expect(allowed('s3:GetObject').join()).toContain('documents/docs/*');
    const lists = documents.filter((s) => actions(s).includes('s3:ListBucket'));
    const listDocuments = lists.find((s) => /-documents\b|:::documents/.test(JSON.stringify(s.Resource)));
    expect(listDocuments?.Condition).toEqual({ StringLike: { 's3:prefix': ['docs/*'] } });
    expect(allowed('s3:DeleteObject').sort()).toEqual([
      expect.stringContaining('documents/docs/*'),
      expect.stringContaining('vectors/ingestion-jobs/*'),
    ]);
    // In the vectors bucket it writes only the status tables and the jobs' records, never the chunks.
    expect(allowed('s3:PutObject').sort()).toEqual([
      expect.stringContaining('documents/docs/*'),
      expect.stringContaining('vectors/ingestion-jobs/*'),
      expect.stringContaining('vectors/lancedb/*_documents.lance/*'),
    ]);
    // It starts the ingest function (jobs), and no other.
    const invoke = documents.filter((s) => actions(s).includes('lambda:InvokeFunction'));
    expect(invoke.map((s) => JSON.stringify(s.Resource))).toEqual([
      expect.stringMatching(/:function:rerank-pipeline-dev-ingest'?"\}$/),
    ]);
    const routes = ofType('AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties.RouteKey as string);
    expect(routes).toEqual(
      expect.arrayContaining([
        'GET /documents',
        'GET /documents/{key+}',
        'PUT /documents/{key+}',
        'DELETE /documents/{key+}',
        'POST /documents/{key+}',
        'POST /ingestion-jobs',
        'GET /ingestion-jobs/{id}',
      ]),
    );
  });

  it('publishes every API route in the OpenAPI document (GET /openapi.json), with its method', async () => {
    const { openApiDocument } = await import('../../shared/api/openapi.js');
    const published = Object.entries(openApiDocument().paths ?? {}).flatMap(([route, item]) =>
      Object.keys(item as object).map((method) => `${method.toUpperCase()} ${route}`),
    );
    // The page and the contract itself are not API routes; POST /documents/{key+} serves only .../upload-url.
    const served = ofType('AWS::ApiGatewayV2::Route')
      .map(([, r]) => r.Properties.RouteKey as string)
      .filter((key) => !['GET /', 'GET /page/{file}', 'GET /openapi.json'].includes(key))
      .map((key) =>
        key === 'POST /documents/{key+}' ? 'POST /documents/{key}/upload-url' : key.replace('{key+}', '{key}'),
      );
    expect(served.sort()).toEqual(published.sort());
  });

  it('lets the API key authorizer read only its SSM parameter, decrypted only through SSM', () => {
    const statements = statementsOf('AuthorizerRole');
    expect(statements.flatMap(actions).sort()).toEqual([
      'kms:Decrypt',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'ssm:GetParameter',
    ]);
    const read = statements.find((s) => actions(s).includes('ssm:GetParameter'))!;
    expect(JSON.stringify(read.Resource)).toMatch(
      /:ssm:\$\{AWS::Region\}:\$\{AWS::AccountId\}:parameter\/rerank-pipeline\/dev\/api-key-hashes"/,
    );
    const decrypt = statements.find((s) => actions(s).includes('kms:Decrypt'))!;
    expect(JSON.stringify(decrypt.Condition)).toMatch(
      /"kms:ViaService":\{"Fn::Sub":"ssm\.\$\{AWS::Region\}\.amazonaws\.com"\}/,
    );
    // The request authorizer that apiAuth=apikey attaches to the routes: simple responses, keyed on the header.
    const authorizer = ofType('AWS::ApiGatewayV2::Authorizer').find(([, a]) => a.Properties.Name === 'apikey')![1];
    expect(authorizer.Properties).toMatchObject({
      AuthorizerType: 'REQUEST',
      EnableSimpleResponses: true,
      AuthorizerPayloadFormatVersion: '2.0',
      IdentitySource: ['$request.header.Authorization'],
      AuthorizerResultTtlInSeconds: 300,
    });
    expect(JSON.stringify(authorizer.Properties.AuthorizerUri)).toContain('AuthorizerLambdaFunction');
    // Its bundle carries the SSM client only: no LanceDB, no models.
    expect(statSync(path.join(out, 'authorizer.zip')).size).toBeLessThan(1024 * 1024);
  });

  it('creates the SageMaker endpoint only when asked (createEndpoint param)', () => {
    const sagemaker = Object.values(resources).filter((r) => r.Type.startsWith('AWS::SageMaker::'));
    expect(sagemaker.map((r) => r.Type).sort()).toEqual([
      'AWS::SageMaker::Endpoint',
      'AWS::SageMaker::EndpointConfig',
      'AWS::SageMaker::Model',
    ]);
    expect(sagemaker.every((r) => r.Condition === 'CreateEndpoint')).toBe(true);
  });

  it('fits Lambda’s 250 MB unzipped limit (function + layers)', () => {
    const size = (dir: string): number =>
      spawnSync('du', ['-sb', dir], { encoding: 'utf8' }).stdout.split('\t').map(Number)[0]!;
    const total = size(path.join(unpacked, 'query')) + size(path.join(unpacked, 'opt'));
    expect(total).toBeLessThan(250 * 1024 * 1024);
    expect(statSync(path.join(unpacked, 'query', 'functions', 'query', 'handler.cjs')).size).toBeGreaterThan(0);
  });

  it('runs the bundled query handler from the zip with only the layers beside it', () => {
    const script = `
      const { handler } = require(${JSON.stringify(path.join(unpacked, 'query', 'functions', 'query', 'handler.cjs'))});
      handler({ query: 'What is the plan for the economy?' }, { functionName: 'query', awsRequestId: '1', getRemainingTimeInMillis: () => 30000 })
        .then((r) => process.stdout.write(JSON.stringify(r)), (e) => { console.error(e); process.exit(1); });`;
    const stdout = run('node', ['-e', script], {
      NODE_PATH: path.join(unpacked, 'opt', 'nodejs', 'node_modules'),
      MODELS_DIR: path.join(unpacked, 'opt', 'models'),
      ALLOW_REMOTE_MODELS: 'false',
      EMBEDDING_MODEL: 'tiny-embed',
      RERANKER_MODEL: 'tiny-ce',
      RERANK_BACKEND: 'local',
      VECTOR_DB_URI: path.join(out, 'empty-db'),
      MODEL_CACHE_DIR: path.join(out, 'cache'),
      POWERTOOLS_LOG_LEVEL: 'ERROR',
    });
    const response = JSON.parse(stdout.trim().split('\n').at(-1)!) as { results: unknown[]; reranked: boolean };
    expect(response.results).toEqual([]);
    expect(response.reranked).toBe(false);
  });

  it('deploys the scoring function with the cross-encoder alone, invocable by the query and rerank roles only', () => {
    const score = resources.ScoreLambdaFunction!.Properties;
    expect(score.MemorySize).toBe(1769);
    expect(score.Timeout).toBe(15);
    const layerIds = (fn: string) =>
      (resources[fn]!.Properties.Layers as { Ref: string }[]).map((layer) => layer.Ref).sort();
    expect(layerIds('ScoreLambdaFunction')).toEqual(['ModelsLambdaLayer', 'OnnxLambdaLayer']);
    expect(layerIds('MaintainLambdaFunction')).toEqual(['LancedbLambdaLayer']);
    expect(layerIds('QueryLambdaFunction')).toEqual(['LancedbLambdaLayer', 'ModelsLambdaLayer', 'OnnxLambdaLayer']);
    expect(statementsOf('ScoreRole').flatMap(actions).sort()).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
    const invokesScore = (role: string) =>
      statementsOf(role).some(
        (s) => actions(s).includes('lambda:InvokeFunction') && JSON.stringify(s.Resource).includes('-score'),
      );
    const invokers = roles().filter(invokesScore);
    expect(invokers.sort()).toEqual(['QueryRole', 'RerankRole']);
    for (const role of invokers) {
      const invoke = statementsOf(role).filter((s) => actions(s).includes('lambda:InvokeFunction'));
      expect(invoke.map((s) => JSON.stringify(s.Resource))).toEqual([
        expect.stringMatching(/:function:rerank-pipeline-dev-score'?"\}$/),
      ]);
    }
    for (const fn of ['QueryLambdaFunction', 'RerankLambdaFunction']) {
      const environment = (resources[fn]!.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(environment).toMatchObject({ SCORING_FUNCTION_NAME: 'rerank-pipeline-dev-score', RERANK_FANOUT: '4' });
    }
    // Its bundle: the cross-encoder and its tokenizer, no LanceDB and no embedder.
    const bundle = readFileSync(path.join(unpacked, 'score', 'functions', 'score', 'handler.cjs'), 'utf8');
    const query = readFileSync(path.join(unpacked, 'query', 'functions', 'query', 'handler.cjs'), 'utf8');
    // What the query bundle has and the scoring bundle must not: LanceDB's loader and its Arrow tables, and the
    // embedder's LangChain method.
    for (const mark of ['require("@lancedb/lancedb-linux-x64-gnu")', 'makeArrowTable', 'embedDocuments']) {
      expect(query).toContain(mark);
      expect(bundle).not.toContain(mark);
    }
    expect(bundle).toContain('sequence-classification');
  });

  it('builds every function and native layer for x86_64 by default', () => {
    for (const [, fn] of ofType('AWS::Lambda::Function')) expect(fn.Properties.Architectures).toEqual(['x86_64']);
    for (const layer of ['LancedbLambdaLayer', 'OnnxLambdaLayer']) {
      expect(resources[layer]!.Properties.CompatibleArchitectures).toEqual(['x86_64']);
    }
    const machines = nativeFiles(path.join(unpacked, 'opt')).map((f) => f.machine);
    expect(machines.length).toBeGreaterThanOrEqual(3); // LanceDB's addon, onnxruntime's addon and library
    expect(new Set(machines)).toEqual(new Set(['x86-64']));
  });
});

describe('serverless package for arm64 (ARCHITECTURE=arm64)', () => {
  let arm: string;
  let armResources: Record<string, Resource>;
  /** Where the arm64 build puts its layers: a folder of its own, so the x86_64 ones above stay as they are. */
  const ARM_LAYERS = '.build/layers/arm64';
  beforeAll(() => {
    arm = mkdtempSync(path.join(os.tmpdir(), 'sls-arm64-'));
    // As `ARCHITECTURE=arm64 npm run package` does it; LanceDB's arm64 binary comes from the npm registry.
    const env = { ARCHITECTURE: 'arm64', MODELS_DIR: FIXTURE_MODELS };
    run('npx', ['tsx', 'layers/build.ts', '--embedding-model', 'tiny-embed', '--reranker-model', 'tiny-ce'], env);
    run('npx', ['serverless', 'package', '--package', path.join(arm, 'package')], env);
    armResources = (
      JSON.parse(readFileSync(path.join(arm, 'package', 'cloudformation-template-update-stack.json'), 'utf8')) as {
        Resources: Record<string, Resource>;
      }
    ).Resources;
    for (const zip of ['lancedb.zip', 'onnx.zip']) {
      run('python3', ['-m', 'zipfile', '-e', path.join(arm, 'package', zip), path.join(arm, 'opt')]);
    }
  }, 400_000);
  afterAll(() => {
    rmSync(arm, { recursive: true, force: true });
    rmSync(path.join(root, ARM_LAYERS), { recursive: true, force: true });
  });

  it('declares every function and native layer arm64', () => {
    const functions = Object.values(armResources).filter((r) => r.Type === 'AWS::Lambda::Function');
    expect(functions.length).toBeGreaterThanOrEqual(6);
    for (const fn of functions) expect(fn.Properties.Architectures).toEqual(['arm64']);
    for (const layer of ['LancedbLambdaLayer', 'OnnxLambdaLayer']) {
      expect(armResources[layer]!.Properties.CompatibleArchitectures).toEqual(['arm64']);
    }
  });

  it('zips native layers whose every ELF file is aarch64, none x86-64', () => {
    const files = nativeFiles(path.join(arm, 'opt'));
    // LanceDB's addon, onnxruntime's addon and its shared library, by the names the loaders look for.
    expect(files.map((f) => f.file)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/lancedb-linux-arm64-gnu\/.*\.node$/),
        expect.stringMatching(/onnxruntime-node\/bin\/napi-v3\/linux\/arm64\/onnxruntime_binding\.node$/),
        expect.stringMatching(/onnxruntime-node\/bin\/napi-v3\/linux\/arm64\/libonnxruntime\.so/),
      ]),
    );
    expect(new Set(files.map((f) => f.machine))).toEqual(new Set(['aarch64']));
  });
});
