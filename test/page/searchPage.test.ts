import { RecursiveCharacterTextSplitter } from '@langchain/textsplitters';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Browser, type Page, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLE_DOCUMENT } from '../helpers.js';
import { StackProcess, sleep, type StackSettings, until } from '../stack.js';
import type { QueryResponse } from '../../shared/pipeline/query/query.js';

/**
 * The search page (functions/page) in headless Chromium against a real local stack with API keys on: Debian's
 * `chromium` (installed by .ci/run), driven by playwright-core. PAGE_SCREENSHOT=<file.png> also saves the
 * README's screenshot after the search.
 */

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const KEY = 'page-test-key';
const SOURCE = 'docs/state_of_the_union.txt';
const QUESTION = 'What is the plan for the economy?';
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'page-stack-'));
// Fixed ports of this file's own, below Linux's ephemeral range (32768+), where no outgoing connection lands.
const settings: StackSettings = {
  S3_PORT: '31731',
  HTTP_PORT: '31030',
  LAMBDA_PORT: '31032',
  ENDPOINT_PORT: '31831',
  STACK_DATA_DIR: dataDir,
};
const base = `http://127.0.0.1:${settings.HTTP_PORT}/`;
let stack: StackProcess;
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  stack = new StackProcess(settings, { API_KEYS: KEY });
  [browser] = await Promise.all([chromium.launch({ executablePath: CHROMIUM }), stack.waitFor(/Stack ready/)]);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** A tab whose user has entered the API key (as the page keeps it: in the tab's session storage). */
async function pageWithKey(): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.addInitScript(`sessionStorage.setItem('rerank-pipeline-api-key', ${JSON.stringify(KEY)})`);
  return page;
}

/** The same request straight to the API, to check what the page shows against. */
async function apiAnswer(request: object): Promise<QueryResponse> {
  const res = await fetch(`${base}query`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
    body: JSON.stringify({ ...request, candidates: true }),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as QueryResponse;
}

/**
 * Indexes `name` under docs/ with metadata attributes, as a user of the local stack does: its Bedrock sidecar
 * `<key>.metadata.json` put into the documents bucket first, then the document through the stack's uploads.
 */
async function indexWithMetadata(name: string, text: string, attributes: Record<string, unknown>): Promise<string> {
  const source = `docs/${name}`;
  const sidecar = await fetch(`http://127.0.0.1:${settings.S3_PORT}/documents/${source}.metadata.json`, {
    method: 'PUT',
    body: JSON.stringify({ metadataAttributes: attributes }),
  });
  expect(sidecar.status).toBe(200);
  const upload = await fetch(`${base}local/uploads/${name}`, {
    method: 'PUT',
    headers: { 'content-type': 'text/plain', authorization: `Bearer ${KEY}` },
    body: text,
  });
  expect(upload.status).toBe(200);
  return source;
}

/** Waits until `source` answers with its metadata (ingestion done). */
function searchable(source: string, metadata: Record<string, unknown>): Promise<true> {
  return until(
    async () => {
      const answer = await apiAnswer({ query: 'harbour', k: 1, topN: 1, filter: { source } });
      return answer.results[0]?.metadata.team === metadata.team ? true : undefined;
    },
    90_000,
    () => `${source} searchable with its metadata; stack output:\n${stack.output.slice(-3000)}`,
  );
}

/** The sources and metadata lines of both columns. */
function shown(page: Page): Promise<{ source: string; metadata: string | null }[]> {
  return page.$$eval('#first > li, #reranked > li', (lis) =>
    lis.map((li) => ({
      source: li.querySelector('.where')!.textContent!.split(' · ')[0]!,
      metadata: li.querySelector('.attrs')?.textContent ?? null,
    })),
  );
}

/** Waits until the search the page runs has finished, in any state. */
async function settled(page: Page): Promise<string> {
  await page.waitForSelector('#results:is([data-state="done"], [data-state="error"])', { state: 'attached' });
  return (await page.getAttribute('#results', 'data-state'))!;
}

interface Item {
  id: string;
  rank: string;
  move: string | null;
  moveClass: string | null;
  score: string;
  where: string;
  kept: boolean;
}

function items(page: Page, list: '#first' | '#reranked'): Promise<Item[]> {
  return page.$$eval(`${list} > li`, (lis) =>
    lis.map((li) => ({
      id: li.getAttribute('data-id')!,
      rank: li.querySelector('.rank')!.textContent!,
      move: li.querySelector('.move-ranks')?.textContent ?? null,
      moveClass: li.querySelector('.move')?.className ?? null,
      score: li.querySelector('.score-value')?.textContent ?? '',
      where: li.querySelector('.where')!.textContent!,
      kept: li.classList.contains('kept'),
    })),
  );
}

/** Both columns as the API's answer says they must be, movement markers included. */
async function expectColumnsOf(page: Page, answer: QueryResponse): Promise<void> {
  const candidates = answer.candidates!;
  const kept = new Set(answer.results.map((r) => r.id));
  expect(await items(page, '#first')).toEqual(
    candidates.map((c) => ({
      id: c.id,
      rank: `#${c.retrievalRank}`,
      move: `#${c.retrievalRank} → #${c.rerankRank}`,
      moveClass: `move ${c.rerankRank! < c.retrievalRank ? 'up' : c.rerankRank! > c.retrievalRank ? 'down' : 'same'}`,
      score: c.retrievalScore.toFixed(4),
      where: `${c.source} · chunk ${c.chunk}`,
      kept: kept.has(c.id),
    })),
  );
  expect(await items(page, '#reranked')).toEqual(
    answer.results.map((r, i) => ({
      id: r.id,
      rank: `#${i + 1}`,
      move: `#${r.retrievalRank} → #${i + 1}`,
      moveClass: `move ${i + 1 < r.retrievalRank ? 'up' : i + 1 > r.retrievalRank ? 'down' : 'same'}`,
      score: r.relevanceScore!.toFixed(3),
      where: `${r.source} · chunk ${r.chunk}`,
      kept: true,
    })),
  );
}

describe('search page (headless Chromium, local stack with API keys)', () => {
  it('is served without a key, with a same-origin CSP; its searches ask for one', async () => {
    const res = await fetch(base);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect((await fetch(`${base}page/nothing.js`)).status).toBe(404);
    expect((await fetch(`${base}query`, { method: 'POST', body: '{}' })).status).toBe(401);

    const page = await browser.newPage();
    await page.goto(base);
    expect(await page.textContent('#empty')).toContain('Ask a question');
    expect(await page.evaluate('document.activeElement.id')).toBe('q');
    await page.fill('#q', QUESTION);
    await page.click('#submit');
    expect(await settled(page)).toBe('error');
    expect(await page.textContent('#error')).toBe('401: missing or invalid API key Enter a valid API key in the form.');
    expect(await page.evaluate('document.activeElement.id')).toBe('key');
    expect(await page.textContent('#upload-limits')).toBe('(enter the API key first)');
    await page.close();
  });

  it('uploads the sample with PUT /documents, says when it is indexed, and lists it with its chunk count', async () => {
    const page = await browser.newPage();
    await page.goto(base);
    await page.fill('#key', KEY);
    await page.press('#key', 'Tab'); // a changed key is kept and the upload limits asked again
    // A locator waits without evaluating a string in the page (the page's CSP forbids eval, which a string predicate
    // of waitForFunction needs).
    await page.locator('#upload-limits', { hasText: 'MiB' }).waitFor();
    expect(await page.textContent('#upload-limits')).toBe(
      '(.txt, .md, .pdf, .html, .htm, .docx, up to 4.0 MiB; stored under docs/)',
    );
    await page.setInputFiles('#file', SAMPLE_DOCUMENT);
    await page.click('#upload-submit');
    await page.waitForSelector('#upload-status:is([data-state="searchable"], [data-state="error"])', {
      timeout: 90_000,
    });
    expect(await page.textContent('#upload-status')).toMatch(
      /^docs\/state_of_the_union\.txt is indexed \(in \d+\.\d s\)\.$/,
    );
    // The Documents view lists it with its badge and its chunk count (LangChain's split of the sample).
    const chunks = (
      await new RecursiveCharacterTextSplitter({ chunkSize: 500, chunkOverlap: 100 }).splitText(
        readFileSync(SAMPLE_DOCUMENT, 'utf8'),
      )
    ).length;
    const sampleRow = page.locator('#documents-body tr[data-source="docs/state_of_the_union.txt"]');
    await sampleRow.locator('.badge', { hasText: 'indexed' }).waitFor();
    expect(await sampleRow.locator('td').allTextContents()).toEqual([
      'docs/state_of_the_union.txt',
      'indexed',
      String(chunks),
      '39 KB',
      '',
      'Delete',
    ]);
    await page.close();
  }, 120_000);

  it('shows a failed document with its reason, filters by status, and deletes a document', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'page-docs-'));
    const broken = path.join(dir, 'broken.pdf');
    writeFileSync(broken, '%PDF-1.7 cut short');
    const note = path.join(dir, 'short-note.txt');
    writeFileSync(note, 'A short note that will be deleted.');
    const page = await pageWithKey();
    await page.goto(base);
    for (const file of [broken, note]) {
      await page.setInputFiles('#file', file);
      await page.click('#upload-submit');
      await page.waitForSelector('#upload-status:is([data-state="searchable"], [data-state="error"])', {
        timeout: 90_000,
      });
    }
    expect(await page.textContent('#upload-status')).toMatch(/^docs\/short-note\.txt is indexed/);
    const brokenRow = page.locator('#documents-body tr[data-source="docs/broken.pdf"]');
    await brokenRow.locator('.badge', { hasText: 'failed' }).waitFor({ timeout: 30_000 });
    expect(await brokenRow.locator('.doc-reason').textContent()).toMatch(/PDF/i);
    expect(await brokenRow.locator('td').nth(2).textContent()).toBe('0');

    await page.selectOption('#documents-filter', 'failed');
    await page.locator('#documents-body tr').first().waitFor();
    await page.locator('#documents-body tr[data-source="docs/short-note.txt"]').waitFor({ state: 'detached' });
    expect(
      await page.locator('#documents-body tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-source'))),
    ).toEqual(['docs/broken.pdf']);

    await page.selectOption('#documents-filter', '');
    const noteRow = page.locator('#documents-body tr[data-source="docs/short-note.txt"]');
    await noteRow.getByRole('button', { name: 'Delete docs/short-note.txt' }).click();
    // Deleting, then gone from the list once the removal's ingest ran; the API agrees.
    await noteRow.waitFor({ state: 'detached', timeout: 60_000 });
    const res = await fetch(`${base}documents/docs/short-note.txt`, { headers: { authorization: `Bearer ${KEY}` } });
    expect(((await res.json()) as { status: string }).status).toBe('deleted');
    await page.close();
    rmSync(dir, { recursive: true, force: true });
  }, 150_000);

  it('shows the first stage and the reranked top-n side by side, with movements and timings', async () => {
    const page = await pageWithKey();
    await page.goto(base);
    await page.fill('#q', QUESTION);
    await page.selectOption('#mode', 'hybrid');
    await page.fill('#k', '12');
    await page.fill('#topN', '4');
    await page.click('#submit');
    expect(await settled(page)).toBe('done');

    const answer = await apiAnswer({ query: QUESTION, mode: 'hybrid', k: 12, topN: 4 });
    expect(answer.candidates).toHaveLength(12);
    await expectColumnsOf(page, answer);
    expect((await items(page, '#first')).filter((i) => i.kept)).toHaveLength(4);
    for (const stage of ['embed', 'search', 'rerank', 'total', 'round trip']) {
      expect(await page.textContent(`#timings dd[data-stage="${stage}"]`)).toMatch(/^\d+(\.\d)? ms$/);
    }
    expect(await page.textContent('#status')).toMatch(/^12 candidates, 4 results after reranking, in \d+ ms\.$/);
    const shared = new URL(page.url());
    expect(Object.fromEntries(shared.searchParams)).toEqual({ q: QUESTION, mode: 'hybrid', k: '12', topN: '4' });
    expect(await page.getAttribute('#share', 'href')).toBe(shared.search);
    if (process.env.PAGE_SCREENSHOT) await page.screenshot({ path: process.env.PAGE_SCREENSHOT, fullPage: false });
    await page.close();
  });

  it('shows a loading state while the API answers', async () => {
    const page = await pageWithKey();
    await page.goto(base);
    await page.route('**/query', async (route) => {
      await sleep(1000);
      await route.continue();
    });
    await page.fill('#q', QUESTION);
    await page.click('#submit');
    expect(await page.getAttribute('#results', 'aria-busy')).toBe('true');
    expect(await page.isDisabled('#submit')).toBe(true);
    expect(await page.textContent('#submit')).toBe('Searching…');
    expect(await settled(page)).toBe('done');
    expect(await page.getAttribute('#results', 'aria-busy')).toBe('false');
    expect(await page.textContent('#submit')).toBe('Search');
    await page.close();
  });

  it('runs the search of a shared URL when it is opened', async () => {
    const page = await pageWithKey();
    const params = new URLSearchParams({ q: 'jobs and bridges', mode: 'fts', k: '5', topN: '2', source: SOURCE });
    await page.goto(`${base}?${params}`);
    expect(await settled(page)).toBe('done');
    expect(await page.inputValue('#q')).toBe('jobs and bridges');
    expect(await page.inputValue('#mode')).toBe('fts');
    expect(await page.inputValue('#k')).toBe('5');
    expect(await page.inputValue('#topN')).toBe('2');
    expect(await page.inputValue('#source')).toBe(SOURCE);
    const answer = await apiAnswer({
      query: 'jobs and bridges',
      mode: 'fts',
      k: 5,
      topN: 2,
      filter: { source: SOURCE },
    });
    expect(answer.candidates).toHaveLength(5);
    await expectColumnsOf(page, answer);
    await page.close();
  });

  it('shows the empty state when nothing matches', async () => {
    const page = await pageWithKey();
    await page.goto(`${base}?${new URLSearchParams({ q: QUESTION, source: 'docs/nothing-here.txt' })}`);
    expect(await settled(page)).toBe('done');
    expect(await page.isVisible('#empty')).toBe(true);
    expect(await page.textContent('#empty')).toMatch(/^No chunks matched/);
    expect(await page.isHidden('#columns')).toBe(true);
    await page.close();
  });

  it("shows the API's message for a bad request (400), from the form and from a URL", async () => {
    const page = await pageWithKey();
    await page.goto(base);
    await page.fill('#q', QUESTION);
    await page.fill('#k', '2');
    await page.fill('#topN', '5');
    await page.click('#submit');
    expect(await settled(page)).toBe('error');
    expect(await page.textContent('#error')).toBe('400: topN: topN must not exceed k');
    expect(await page.isHidden('#columns')).toBe(true);

    await page.goto(`${base}?${new URLSearchParams({ q: QUESTION, mode: 'bm25' })}`);
    expect(await settled(page)).toBe('error');
    expect(await page.textContent('#error')).toBe(
      "400: mode: Invalid enum value. Expected 'vector' | 'fts' | 'hybrid', received 'bm25'",
    );
    await page.close();
  });

  it("filters by the metadata conditions typed in the page and shows each result's metadata", async () => {
    const eng = { tags: ['q4', 'infra'], team: 'eng', year: 2024 };
    const ops = { tags: ['q1'], team: 'ops', year: 2019 };
    const engSource = await indexWithMetadata(
      'page-eng.txt',
      'The harbour plan of the engineering team: new cranes for the north quay, built in the fourth quarter.',
      eng,
    );
    const opsSource = await indexWithMetadata(
      'page-ops.txt',
      'The harbour plan of the operations team: longer shifts at the south quay, agreed in the first quarter.',
      ops,
    );
    await searchable(engSource, eng);
    await searchable(opsSource, ops);
    const question = 'harbour cranes quay'; // words of these two documents only (full text finds nothing else)
    const page = await pageWithKey();

    // Without metadata conditions both documents answer, each with its metadata.
    await page.goto(`${base}?${new URLSearchParams({ q: question, mode: 'fts', k: '10', topN: '2' })}`);
    expect(await settled(page)).toBe('done');
    const engLine = 'Metadata: tags: q4, infra · team: eng · year: 2024';
    const opsLine = 'Metadata: tags: q1 · team: ops · year: 2019';
    expect(new Set((await shown(page)).map((hit) => `${hit.source} | ${hit.metadata}`))).toEqual(
      new Set([`${engSource} | ${engLine}`, `${opsSource} | ${opsLine}`]),
    );

    // Two conditions (a string and a number): only the engineering document.
    await page.fill('#metadata', 'team = eng; year > 2020');
    await page.click('#submit');
    await page.waitForURL(/metadata=/);
    expect(await settled(page)).toBe('done');
    const hits = await shown(page);
    expect(hits.length).toBeGreaterThan(0);
    for (const hit of hits) expect(hit).toEqual({ source: engSource, metadata: engLine });
    await expectColumnsOf(
      page,
      await apiAnswer({
        query: question,
        mode: 'fts',
        k: 10,
        topN: 2,
        filter: { andAll: [{ equals: { key: 'team', value: 'eng' } }, { greaterThan: { key: 'year', value: 2020 } }] },
      }),
    );
    expect(new URL(page.url()).searchParams.get('metadata')).toBe('team = eng; year > 2020');

    // The shared URL brings the filter back and runs it.
    const shared = page.url();
    const other = await pageWithKey();
    await other.goto(shared);
    expect(await settled(other)).toBe('done');
    expect(await other.inputValue('#metadata')).toBe('team = eng; year > 2020');
    expect(new Set((await shown(other)).map((hit) => hit.source))).toEqual(new Set([engSource]));
    await other.close();

    // A list condition: only the operations document.
    await page.fill('#metadata', 'tags has q1');
    await page.click('#submit');
    await page.waitForURL(/metadata=tags/);
    expect(await settled(page)).toBe('done');
    expect(new Set((await shown(page)).map((hit) => `${hit.source} | ${hit.metadata}`))).toEqual(
      new Set([`${opsSource} | ${opsLine}`]),
    );

    // The source field and the conditions must both hold: the operations document is not the team eng's.
    await page.fill('#source', opsSource);
    await page.fill('#metadata', 'team = eng');
    await page.click('#submit');
    await page.waitForURL(/source=/);
    expect(await settled(page)).toBe('done');
    expect(await page.isVisible('#empty')).toBe(true);
    expect(await page.textContent('#empty')).toMatch(/^No chunks matched/);
    await page.close();
  }, 150_000);

  it("says why a condition cannot be read without searching, and shows the API's message for an unknown key", async () => {
    const page = await pageWithKey();
    const queries: string[] = [];
    page.on('request', (request) => {
      if (new URL(request.url()).pathname === '/query') queries.push(request.postData() ?? '');
    });
    await page.goto(base);
    await page.fill('#q', QUESTION);
    await page.fill('#metadata', 'team eng');
    await page.click('#submit');
    await page.waitForSelector('#metadata-error', { state: 'visible' });
    expect(await page.textContent('#metadata-error')).toBe(
      '"team eng" is not a condition: write key, operator, value (e.g. team = eng); operators: = != > >= < <= has starts (or ^=)',
    );
    expect(await page.getAttribute('#metadata', 'aria-invalid')).toBe('true');
    expect(await page.evaluate('document.activeElement.id')).toBe('metadata');
    expect(queries).toEqual([]);
    expect(new URL(page.url()).search).toBe('');
    expect(await page.isHidden('#columns')).toBe(true);

    await page.fill('#metadata', 'year > recent');
    await page.click('#submit');
    expect(await page.textContent('#metadata-error')).toBe(
      '"year > recent": > compares numbers, and recent is not one',
    );
    expect(queries).toEqual([]);

    // A condition the page reads, on a key the index does not have: the API refuses it, and says which keys it has.
    await page.fill('#metadata', 'colour = red');
    expect(await page.isHidden('#metadata-error')).toBe(true);
    await page.click('#submit');
    expect(await settled(page)).toBe('error');
    const res = await fetch(`${base}query`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
      body: JSON.stringify({ query: QUESTION, filter: { equals: { key: 'colour', value: 'red' } } }),
    });
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as { error: string };
    expect(error).toMatch(/^filter: unknown key "colour"; filterable: source, tenant\b/);
    expect(await page.textContent('#error')).toBe(`400: ${error}`);
    expect(queries.map((body) => JSON.parse(body).filter)).toEqual([{ equals: { key: 'colour', value: 'red' } }]);
    expect(await page.isHidden('#columns')).toBe(true);
    await page.close();
  });
});
