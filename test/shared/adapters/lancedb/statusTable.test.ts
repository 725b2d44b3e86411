import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LanceStatusStore } from '../../../../shared/adapters/lancedb/statusTable.js';
import { indexedColumns } from '../../../../shared/adapters/lancedb/upkeep.js';
import type { DocumentStatus } from '../../../../shared/pipeline/ingest/records.js';

let dir: string;
const open = () => LanceStatusStore.open({ uri: dir, embeddingModel: 'tiny-embed', metric: 'cosine' });

const indexed = (source: string, chunks: number): DocumentStatus => ({
  source,
  status: 'indexed',
  reason: null,
  chunks,
  bytes: 100 * chunks,
  contentHash: `hash-${source}`,
  contentType: 'text/plain',
  tenant: null,
  metadata: { n: chunks },
  version: `"etag-${source}"|-`,
  updatedAt: '2026-12-07T00:00:00.000Z',
});

/** One ingest batch's two commits: its pending marks, then its outcomes. */
async function ingestBatch(statuses: LanceStatusStore, batch: number): Promise<void> {
  const documents = [0, 1].map((i) => indexed(`docs/b${batch}-${i}.txt`, batch + i + 1));
  await statuses.mark(documents, 'pending', '2026-12-07T00:00:00.000Z');
  await statuses.record(documents);
}

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'status-table-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('LanceStatusStore upkeep', () => {
  it('leaves a lightly written table alone', async () => {
    const statuses = await open();
    await ingestBatch(statuses, 0);
    expect(await statuses.compactIfFragmented()).toBe(false);
    expect(await statuses.fragments()).toBeGreaterThan(0);
  });

  it('compacts once small fragments pile up, indexes source_id, and keeps every status as it was', async () => {
    const statuses = await open();
    // A new process looks at its first call: 20 batches of another writer left a fragment each.
    const other = await open();
    for (let b = 0; b < 20; b++) await ingestBatch(other, b);
    const before = await statuses.fragments();
    expect(before).toBeGreaterThanOrEqual(16);
    expect(await statuses.compactIfFragmented()).toBe(true);
    expect(await statuses.fragments()).toBe(1);
    expect(await indexedColumns(statuses.table)).toContain('source_id');
    const { documents } = await statuses.list({ tenant: null, limit: 100 });
    expect(documents).toHaveLength(40);
    expect(await statuses.get('docs/b7-1.txt')).toEqual(indexed('docs/b7-1.txt', 9));
    // Rows written after the index are still found by their key.
    await statuses.record([indexed('docs/late.txt', 2)]);
    expect(await statuses.get('docs/late.txt')).toEqual(indexed('docs/late.txt', 2));
  });

  it('looks at the fragments again only after a few commits of its own', async () => {
    const statuses = await open();
    await ingestBatch(statuses, 0);
    expect(await statuses.compactIfFragmented()).toBe(false); // the first look
    const other = await open();
    for (let b = 1; b < 20; b++) await ingestBatch(other, b);
    expect(await statuses.fragments()).toBeGreaterThanOrEqual(16);
    // Fragmented now, but this process has made no commit since it looked.
    expect(await statuses.compactIfFragmented()).toBe(false);
    for (let b = 20; b < 24; b++) await ingestBatch(statuses, b);
    expect(await statuses.compactIfFragmented()).toBe(true);
  });
});

describe('LanceStatusStore: statuses of documents with no record yet', () => {
  it('appends them, and a key two racing batches both appended reads as its later row until a merge updates both', async () => {
    const statuses = await open();
    const first = { ...indexed('docs/new.txt', 1), updatedAt: '2026-12-07T00:00:01.000Z' };
    const second = { ...indexed('docs/new.txt', 2), updatedAt: '2026-12-07T00:00:02.000Z' };
    await statuses.record([second], { unrecorded: true });
    await statuses.record([first], { unrecorded: true }); // the racing batch, committed later with an earlier start
    expect(await statuses.table.countRows()).toBe(2);
    expect(await statuses.get('docs/new.txt')).toEqual(second);
    expect((await statuses.getMany(['docs/new.txt'])).get('docs/new.txt')).toEqual(second);
    expect((await statuses.list({ tenant: null, limit: 10 })).documents).toEqual([second]);
    const third = { ...indexed('docs/new.txt', 3), updatedAt: '2026-12-07T00:00:03.000Z' };
    await statuses.record([third]);
    expect((await statuses.table.query().toArray()).map((r) => r.chunks)).toEqual([3, 3]);
    expect(await statuses.get('docs/new.txt')).toEqual(third);
  });

  it('filters a list by the later row: an earlier one of another status or tenant does not show', async () => {
    const statuses = await open();
    const failed = { ...indexed('docs/new.txt', 0), status: 'failed' as const, reason: 'unreadable PDF' };
    const acme = { ...indexed('docs/new.txt', 0), tenant: 'acme' };
    const later = { ...indexed('docs/new.txt', 2), tenant: 'globex', updatedAt: '2026-12-07T00:00:09.000Z' };
    const other = { ...indexed('docs/other.txt', 1), status: 'failed' as const, reason: 'over the size limit' };
    await statuses.record([failed, other], { unrecorded: true });
    await statuses.record([acme], { unrecorded: true });
    await statuses.record([later], { unrecorded: true });
    expect((await statuses.list({ tenant: null, status: 'failed', limit: 10 })).documents).toEqual([other]);
    expect((await statuses.list({ tenant: 'acme', limit: 10 })).documents).toEqual([]);
    expect(await statuses.list({ tenant: 'initech', limit: 10 })).toEqual({ documents: [], next: null });
    expect((await statuses.list({ tenant: 'globex', limit: 10 })).documents).toEqual([later]);
    expect((await statuses.list({ tenant: 'globex', status: 'indexed', limit: 10 })).documents).toEqual([later]);
  });

  it("ends a filtered page where the table page did, even when it drops the page's last row, so paging goes on", async () => {
    const statuses = await open();
    const acme = (source: string) => ({ ...indexed(source, 1), tenant: 'acme' });
    await statuses.record([acme('docs/a.txt'), acme('docs/b.txt'), acme('docs/c.txt')], { unrecorded: true });
    const moved = { ...indexed('docs/b.txt', 2), tenant: 'globex', updatedAt: '2026-12-07T00:00:09.000Z' };
    await statuses.record([moved], { unrecorded: true });
    expect(await statuses.list({ tenant: 'acme', limit: 1 })).toEqual({
      documents: [acme('docs/a.txt')],
      next: 'docs/a.txt',
    });
    expect(await statuses.list({ tenant: 'acme', limit: 1, after: 'docs/a.txt' })).toEqual({
      documents: [],
      next: 'docs/b.txt',
    });
    expect(await statuses.list({ tenant: 'acme', limit: 1, after: 'docs/b.txt' })).toEqual({
      documents: [acme('docs/c.txt')],
      next: null,
    });
  });
});
