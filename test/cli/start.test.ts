import { RecursiveCharacterTextSplitter } from '@langchain/textsplitters';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StackState } from '../../local/stackState.js';
import { CohereClientV2 } from 'cohere-ai';
import { OPENAPI_EXAMPLES } from '../../shared/api/openapi.js';
import { DOCUMENTS_EXAMPLES } from '../../shared/api/documents/documentsOpenapi.js';
import { UploadUrlResponseSchema } from '../../shared/api/documents/documentUploads.js';
import { IngestionJobSchema } from '../../shared/api/documents/ingestionJobsApi.js';
import { CohereRerankResponseSchema, TeiRerankResponseItemSchema } from '../../shared/api/rerankApi.js';
import type { LanceStore } from '../../shared/adapters/lancedb/lanceStore.js';
import { makeDocx, makeHtml, makePdf } from '../documents.js';
import { SAMPLE_DOCUMENT, openLocalS3Table } from '../helpers.js';
import { StackProcess, groupAlive, sleep, until, type StackSettings } from '../stack.js';
import type { QueryResponse } from '../../shared/pipeline/query/query.js';
import { QueryResponseSchema } from '../../shared/api/queryApi.js';

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'stack-'));
const settings: StackSettings = {
  S3_PORT: '31741',
  HTTP_PORT: '31040',
  LAMBDA_PORT: '31042',
  ENDPOINT_PORT: '31841',
  STACK_DATA_DIR: dataDir,
};
const IDLE_LIMIT_S = 2;
const s3Url = `http://127.0.0.1:${settings.S3_PORT}`;
let stack: StackProcess;
let reader: LanceStore;

beforeAll(async () => {
  // The emulator retires idle functions after LAMBDA_IDLE_S; a short one lets the idle test wait past it.
  stack = new StackProcess(settings, { LAMBDA_IDLE_S: String(IDLE_LIMIT_S) });
  await stack.waitFor(/Stack ready/);
}, 180_000);

afterAll(async () => {
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const upload = (key: string, body: string | Buffer, headers: Record<string, string> = {}) =>
  fetch(`${s3Url}/documents/${key}`, { method: 'PUT', body, headers });

interface QueryAnswer {
  status: number;
  ms: number;
  body: { results?: QueryResponse['results']; reranked?: boolean; error?: string };
}

async function ask(body: object): Promise<QueryAnswer> {
  const start = Date.now();
  const res = await fetch(`http://127.0.0.1:${settings.HTTP_PORT}/query`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(40_000),
  });
  return { status: res.status, ms: Date.now() - start, body: (await res.json()) as QueryAnswer['body'] };
}

/** Waits until `source` answers a query with results. */
const searchable = (source: string, timeoutMs = 60_000) =>
  until(
    async () => {
      const answer = await ask({ query: 'What is the plan for the economy?', filter: { source } });
      return answer.status === 200 && answer.body.results!.length > 0 ? answer : undefined;
    },
    timeoutMs,
    () => `${source} searchable; output:\n${stack.output.slice(-3000)}`,
  );

/** A reader of the stack's table, as the query function opens it. */
async function tableReader(): Promise<LanceStore> {
  reader ??= await openLocalS3Table(s3Url);
  return reader;
}

const partPid = (name: string) =>
  (JSON.parse(readFileSync(path.join(dataDir, 'stack.json'), 'utf8')) as StackState).parts[name]!;

/** A document every test that queries or restarts the stack can count on, indexed before the tests. */
const SEEDED = 'docs/sotu.txt';

describe('npm start (local stack)', () => {
  beforeAll(async () => {
    expect((await upload(SEEDED, readFileSync(SAMPLE_DOCUMENT))).status).toBe(200);
    await searchable(SEEDED);
  }, 120_000);

  it('makes an upload searchable through POST /query', async () => {
    const key = 'docs/uploaded.txt';
    expect((await upload(key, 'An uploaded document about the plan for the economy and its bridges.')).status).toBe(
      200,
    );
    const answer = await searchable(key);
    expect(answer.body.reranked).toBe(true);
    expect(answer.body.results!.map((r) => r.source)).toEqual([key]);
  });

  it('searches PDF, HTML and Word uploads with sidecars by metadata, with PDF pages; a deleted sidecar drops it', async () => {
    const lines = (topic: string) =>
      Array.from({ length: 10 }, (_, i) => `Line ${i + 1} on ${topic}: the harbour plan funds cranes and quays.`);
    const sidecar = (attributes: Record<string, unknown>) => JSON.stringify({ metadataAttributes: attributes });
    const files: [string, Buffer, Record<string, unknown>][] = [
      ['docs/kb/report.pdf', makePdf([lines('cranes'), lines('quays')]), { team: 'eng', year: 2024 }],
      [
        'docs/kb/page.html',
        Buffer.from(
          makeHtml(
            lines('docks')
              .map((l) => `<p>${l}</p>`)
              .join(''),
          ),
        ),
        { team: 'eng', year: 2019 },
      ],
      ['docs/kb/memo.docx', makeDocx(lines('piers').map((text) => ({ text }))), { team: 'ops', year: 2024 }],
    ];
    for (const [key, bytes, attributes] of files) {
      // Sidecar first, then the document (with user metadata too): its ingestion reads both.
      expect((await upload(`${key}.metadata.json`, sidecar(attributes))).status).toBe(200);
      expect((await upload(key, bytes, { 'x-amz-meta-customer': 'acme' })).status).toBe(200);
    }
    for (const [key] of files) await searchable(key);
    const harbour = { query: 'harbour plan cranes quays', k: 50, topN: 50 };
    const eng = await ask({ ...harbour, filter: { equals: { key: 'team', value: 'eng' } } });
    expect(eng.status, `${JSON.stringify(eng.body)}\n${stack.output.slice(-4000)}`).toBe(200);
    expect(new Set(eng.body.results!.map((r) => r.source))).toEqual(
      new Set(['docs/kb/report.pdf', 'docs/kb/page.html']),
    );
    const recentEng = await ask({
      ...harbour,
      filter: { andAll: [{ equals: { key: 'team', value: 'eng' } }, { greaterThan: { key: 'year', value: 2020 } }] },
    });
    const pdf = recentEng.body.results!;
    expect(new Set(pdf.map((r) => r.source))).toEqual(new Set(['docs/kb/report.pdf']));
    for (const r of pdf) {
      expect(r.metadata).toEqual({ team: 'eng', year: 2024, customer: 'acme' });
      expect(r.pages!.first).toBeGreaterThanOrEqual(1);
      expect(r.pages!.last).toBeLessThanOrEqual(2);
    }
    expect(new Set(pdf.map((r) => r.pages!.first))).toEqual(new Set([1, 2]));

    // Deleting the memo's sidecar leaves only its user metadata: it no longer matches team "ops".
    expect((await fetch(`${s3Url}/documents/docs/kb/memo.docx.metadata.json`, { method: 'DELETE' })).status).toBe(204);
    const ops = { ...harbour, filter: { equals: { key: 'team', value: 'ops' } } };
    await until(
      async () => ((await ask(ops)).body.results?.length === 0 ? true : undefined),
      60_000,
      () => `memo metadata removed; output:\n${stack.output.slice(-3000)}`,
    );
    const memo = await ask({ ...harbour, filter: { source: 'docs/kb/memo.docx' } });
    expect(memo.body.results!.length).toBeGreaterThan(0);
    for (const r of memo.body.results!) expect(r.metadata).toEqual({ customer: 'acme' });
  });

  it('still queries and ingests after the functions sat idle past the emulator idle limit', async () => {
    expect((await ask({ query: 'economy' })).status).toBe(200);
    await sleep((IDLE_LIMIT_S * 2 + 1) * 1000); // the emulator checks for idle functions every IDLE_LIMIT_S
    const afterIdle = await ask({ query: 'economy' });
    expect(afterIdle.status).toBe(200);
    expect(afterIdle.body.reranked).toBe(true);
    expect((await upload('docs/after-idle.txt', 'Written after an idle period, about bridges.')).status).toBe(200);
    await searchable('docs/after-idle.txt');
    expect(stack.output).not.toMatch(/did not self-register/);
  });

  it.each([1, 2])(
    'indexes every document of 8 concurrent writers × 100, delivered in SQS batches, exactly once (run %i)',
    async (run) => {
      const words = 'inflation bridges jobs energy vaccines chips ports housing childcare taxes'.split(' ');
      const writers = 8;
      const perWriter = 100;
      const docs = Array.from({ length: writers * perWriter }, (_, i) => {
        const length = 2048 + ((i * 37) % 1024); // 2–3 KB
        let text = `Run ${run} document ${i}.`;
        for (let w = 0; text.length < length; w++)
          text += ` ${words[(i + w * 7) % words.length]}${w % 13 === 0 ? '.\n\n' : ''}`;
        return { key: `docs/parallel-${run}/doc-${String(i).padStart(3, '0')}.txt`, text: text.slice(0, length) };
      });
      const splitter = new RecursiveCharacterTextSplitter({ chunkSize: 500, chunkOverlap: 100 });
      const expected = await Promise.all(
        docs.map(async (d) => (await splitter.splitText(d.text)).filter((c) => c.trim()).length),
      );

      const from = stack.output.length;
      await Promise.all(
        Array.from({ length: writers }, async (_, w) => {
          for (const doc of docs.slice(w * perWriter, (w + 1) * perWriter)) {
            expect((await upload(doc.key, doc.text)).status).toBe(200);
          }
        }),
      );
      // Each delivered batch logs one line naming its keys, and each failed message one more (it is delivered
      // again later); polling the table instead would load the S3 server.
      const prefix = `documents/docs/parallel-${run}/`;
      const lines = () =>
        stack.output
          .slice(from)
          .split('\n')
          .filter((line) => line.startsWith('ingest ← ') && line.includes(prefix));
      const keysIn = (some: string[]) => some.reduce((n, line) => n + line.split(prefix).length - 1, 0);
      const batchLines = () => lines().filter((line) => line.includes(' message(s) ['));
      const delivered = () => keysIn(batchLines()) - keysIn(lines().filter((line) => !line.includes(' message(s) [')));
      await until(
        async () => (delivered() >= docs.length ? true : undefined),
        180_000,
        () => `${docs.length} deliveries of run ${run}, got ${delivered()}`,
      );
      await sleep(1000); // anything late (a duplicate) would land now
      const store = await tableReader();
      const counts = await Promise.all(docs.map((d) => store.count(d.key)));
      expect(counts).toEqual(expected);
      // Batches, not one invocation per upload; nothing dead-lettered.
      expect(batchLines().length).toBeLessThan(docs.length / 2);
      expect(stack.output).not.toMatch(/FAILED after/);
    },
    240_000,
  );

  it.each(['s3', 'endpoint', 'functions'])(
    'answers 200 or a clear 503 while %s is killed with SIGKILL, and brings it back within 10 s',
    async (part) => {
      const from = stack.output.length;
      const answers: QueryAnswer[] = [];
      let killedAt = 0;
      for (let i = 0; i < 30; i++) {
        if (i === 3) {
          process.kill(-partPid(part), 'SIGKILL');
          killedAt = Date.now();
        }
        answers.push(await ask({ query: 'What is the plan for the economy?' }));
      }
      for (const answer of answers) {
        expect([200, 503]).toContain(answer.status);
        if (answer.status === 503) expect(answer.body.error).toMatch(/restarting|unavailable|retry/);
        expect(answer.ms).toBeLessThan(30_000);
      }
      const back = await stack.waitFor(new RegExp(`\\[supervisor\\] ${part} is back after (\\d+) ms`), 30_000, from);
      expect(Number(back[1])).toBeLessThan(10_000);
      // A restart serves the bundles of the first start rather than building them again.
      if (part === 'functions')
        expect(stack.output.slice(from)).toMatch(/Reusing the last start's bundles for ingest, query/);
      expect(Date.now() - killedAt).toBeGreaterThan(0);
      const after = await until(
        async () => {
          const answer = await ask({ query: 'What is the plan for the economy?' });
          return answer.status === 200 ? answer : undefined;
        },
        20_000,
        () => `a 200 after ${part} came back`,
      );
      expect(after.body.reranked).toBe(true);
    },
    120_000,
  );

  it('answers the official cohere-ai client on /v2/rerank, a 2,000-token document ranked by its best window', async () => {
    const cohere = new CohereClientV2({ token: 'local', baseUrl: `http://127.0.0.1:${settings.HTTP_PORT}` });
    const filler = 'the weather report mentions clouds and rain over the hills today. '.repeat(160);
    const documents = [
      'A story about a cat.',
      `${filler}We will build the economy from the bottom up. ${filler}`,
      'Inflation',
    ];
    const answer = await cohere.rerank({
      model: 'local',
      query: 'What is the plan for the economy?',
      documents,
      topN: 3,
    });
    expect(answer.results.map((r) => r.index).sort()).toEqual([0, 1, 2]);
    const scores = answer.results.map((r) => r.relevanceScore);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    for (const score of scores) expect(score >= 0 && score <= 1).toBe(true);
    const bad = await cohere.rerank({ model: 'local', query: '', documents }).catch((e: unknown) => e);
    expect((bad as { statusCode: number }).statusCode).toBe(400);
    expect(JSON.stringify((bad as { body: unknown }).body)).toMatch(/query must not be empty/);
  });

  it('publishes GET /openapi.json, and every example in it is answered by the stack as documented', async () => {
    const contract = (await (await fetch(`http://127.0.0.1:${settings.HTTP_PORT}/openapi.json`)).json()) as {
      openapi: string;
      paths: Record<string, { post: { requestBody: { content: { 'application/json': { example: unknown } } } } }>;
    };
    expect(contract.openapi).toBe('3.1.0');
    const responseSchemas = {
      '/query': QueryResponseSchema,
      '/v2/rerank': CohereRerankResponseSchema,
      '/rerank': TeiRerankResponseItemSchema.array(),
    };
    expect(Object.keys(contract.paths).sort()).toEqual(
      [
        ...Object.keys(responseSchemas),
        '/documents',
        '/documents/{key}',
        '/documents/{key}/upload-url',
        '/ingestion-jobs',
        '/ingestion-jobs/{id}',
      ].sort(),
    );
    // The documents API's two JSON bodies, sent as published (the key filled in).
    const documentsRoutes = [
      ['/documents/{key}/upload-url', '/documents/docs/acme/report.pdf/upload-url', 200, UploadUrlResponseSchema],
      ['/ingestion-jobs', '/ingestion-jobs', 202, IngestionJobSchema],
    ] as const;
    for (const [route, target, status, schema] of documentsRoutes) {
      const example = contract.paths[route]!.post.requestBody.content['application/json'].example;
      expect(example).toEqual(DOCUMENTS_EXAMPLES[route === '/ingestion-jobs' ? 'job' : 'uploadUrl']);
      const res = await fetch(`http://127.0.0.1:${settings.HTTP_PORT}${target}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(example),
      });
      expect(res.status, route).toBe(status);
      expect(schema.safeParse(await res.json()).success, route).toBe(true);
    }
    for (const [route, schema] of Object.entries(responseSchemas)) {
      const example = contract.paths[route]!.post.requestBody.content['application/json'].example;
      expect(example).toEqual(OPENAPI_EXAMPLES[route === '/query' ? 'query' : route === '/rerank' ? 'tei' : 'cohere']);
      const res = await fetch(`http://127.0.0.1:${settings.HTTP_PORT}${route}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(example),
      });
      expect(res.status, route).toBe(200);
      expect(schema.safeParse(await res.json()).success, route).toBe(true);
    }
  });

  it('starts again after the whole stack was killed with SIGKILL, with the index as it was', async () => {
    process.kill(-stack.pid, 'SIGKILL');
    await stack.exited;
    stack = new StackProcess(settings);
    await stack.waitFor(/Stack ready/);
    const answer = await searchable(SEEDED, 30_000);
    expect(answer.body.results!.length).toBe(3);
  }, 180_000);

  it('refuses a second stack on the same data folder while one runs, naming the running one', async () => {
    const second = new StackProcess(settings);
    expect(await second.exited).not.toBe(0);
    expect(second.output).toMatch(/a local stack is already running \(pid \d+/);
  }, 60_000);

  it('stops every part on Ctrl-C and frees the ports', async () => {
    const parts = Object.values(
      (JSON.parse(readFileSync(path.join(dataDir, 'stack.json'), 'utf8')) as StackState).parts,
    );
    process.kill(-stack.pid, 'SIGINT');
    await stack.exited;
    await until(
      async () => (parts.some(groupAlive) || groupAlive(stack.pid) ? undefined : true),
      15_000,
      () => 'parts gone',
    );
    const refused = await fetch(`http://127.0.0.1:${settings.HTTP_PORT}/query`).then(
      () => false,
      () => true,
    );
    expect(refused).toBe(true);
  }, 60_000);
});
