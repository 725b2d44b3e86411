import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Browser, type Page, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { QueryResponse } from '../../shared/contract.js';
import { SAMPLE_DOCUMENT } from '../helpers.js';
import { StackProcess, sleep, type StackSettings } from '../stack.js';

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

  it('uploads the sample with the key and says when it is searchable', async () => {
    const page = await browser.newPage();
    await page.goto(base);
    await page.fill('#key', KEY);
    await page.press('#key', 'Tab'); // a changed key is kept and the upload limits asked again
    await page.waitForFunction("document.getElementById('upload-limits').textContent.includes('MiB')");
    expect(await page.textContent('#upload-limits')).toBe(
      '(.txt, .md, .pdf, .html, .htm, .docx, up to 4.0 MiB; stored under docs/)',
    );
    await page.setInputFiles('#file', SAMPLE_DOCUMENT);
    await page.click('#upload-submit');
    await page.waitForSelector('#upload-status:is([data-state="searchable"], [data-state="error"])', {
      timeout: 90_000,
    });
    expect(await page.textContent('#upload-status')).toMatch(
      /^docs\/state_of_the_union\.txt is searchable \(indexed in \d+\.\d s\)\.$/,
    );
    await page.close();
  }, 120_000);

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
});
