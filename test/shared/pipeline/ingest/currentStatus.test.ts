import { describe, expect, it } from 'vitest';
import { currentPage, currentStatus, listingPrefix } from '../../../../shared/pipeline/ingest/currentStatus.js';
import type { DocumentStatus } from '../../../../shared/pipeline/ingest/records.js';
import { DEFAULT_TENANCY } from '../../../../shared/pipeline/tenants.js';

const T0 = '2026-12-07T10:00:00.000Z';
const T1 = '2026-12-07T11:00:00.000Z';

const indexed = (
  source: string,
  version: string | null = 'v1',
  extra: Partial<DocumentStatus> = {},
): DocumentStatus => ({
  source,
  status: 'indexed',
  reason: null,
  chunks: 3,
  bytes: 120,
  contentHash: 'h1',
  contentType: 'text/plain',
  tenant: 'acme',
  metadata: {},
  version,
  updatedAt: T0,
  ...extra,
});

describe('currentStatus: the record against what S3 holds now', () => {
  it('keeps the record when S3 holds the version it reflects, or was not asked', () => {
    const record = indexed('docs/acme/a.txt');
    expect(currentStatus('docs/acme/a.txt', record, { version: 'v1', lastModified: T0 }, DEFAULT_TENANCY)).toBe(record);
    expect(currentStatus('docs/acme/a.txt', record, undefined, DEFAULT_TENANCY)).toBe(record);
  });

  it('is pending, with the old chunks and the later time, when S3 holds another version', () => {
    const record = indexed('docs/acme/a.txt');
    expect(currentStatus('docs/acme/a.txt', record, { version: 'v2', lastModified: T1 }, DEFAULT_TENANCY)).toEqual({
      ...record,
      status: 'pending',
      updatedAt: T1,
    });
  });

  it('is pending for a document with no record yet: tenant and type by its path, no chunks', () => {
    expect(currentStatus('docs/acme/new.md', null, { version: 'v1', lastModified: T1 }, DEFAULT_TENANCY)).toEqual({
      source: 'docs/acme/new.md',
      status: 'pending',
      reason: null,
      chunks: 0,
      bytes: null,
      contentHash: null,
      contentType: 'text/markdown',
      tenant: 'acme',
      metadata: {},
      version: null,
      updatedAt: T1,
    });
  });

  it('is deleting when S3 no longer has a recorded document; deleted stays deleted, nothing stays nothing', () => {
    const record = indexed('docs/acme/a.txt');
    expect(currentStatus('docs/acme/a.txt', record, null, DEFAULT_TENANCY)).toEqual({ ...record, status: 'deleting' });
    const deleted = indexed('docs/acme/a.txt', null, { status: 'deleted', chunks: 0 });
    expect(currentStatus('docs/acme/a.txt', deleted, null, DEFAULT_TENANCY)).toBe(deleted);
    expect(currentStatus('docs/acme/a.txt', null, null, DEFAULT_TENANCY)).toBeNull();
  });

  it('is pending when S3 has a document recorded deleted (uploaded again since), whatever its time', () => {
    const deleted = indexed('docs/acme/a.txt', null, { status: 'deleted', chunks: 0, updatedAt: T1 });
    const sameSecond = { version: 'v2', lastModified: '2026-12-07T10:59:59.000Z' };
    expect(currentStatus('docs/acme/a.txt', deleted, sameSecond, DEFAULT_TENANCY)).toMatchObject({ status: 'pending' });
  });

  it('judges a record without a version by time: only an object written after it is pending', () => {
    const refused = indexed('docs/acme/big.txt', null, { status: 'failed', reason: 'too large', chunks: 0 });
    const earlier = { version: 'v1', lastModified: '2026-12-07T09:59:59.000Z' };
    expect(currentStatus('docs/acme/big.txt', refused, earlier, DEFAULT_TENANCY)).toBe(refused);
    const later = { version: 'v2', lastModified: T1 };
    expect(currentStatus('docs/acme/big.txt', refused, later, DEFAULT_TENANCY)).toMatchObject({
      status: 'pending',
      reason: null,
    });
  });

  it('keeps a failure recorded at the version before the one that failed; an upload after it is pending', () => {
    const failed = indexed('docs/acme/a.pdf', 'v0', { status: 'failed', reason: 'too large', updatedAt: T1 });
    const theFailedOne = { version: 'v1', lastModified: '2026-12-07T10:30:00.000Z' };
    expect(currentStatus('docs/acme/a.pdf', failed, theFailedOne, DEFAULT_TENANCY)).toBe(failed);
    const fixed = { version: 'v2', lastModified: '2026-12-07T11:30:00.000Z' };
    expect(currentStatus('docs/acme/a.pdf', failed, fixed, DEFAULT_TENANCY)).toMatchObject({ status: 'pending' });
  });

  it('keeps a pending record (a direct PUT, a retried failure) pending whatever S3 holds', () => {
    const retried = indexed('docs/acme/a.txt', 'v1', { status: 'pending', reason: 'last attempt failed, retried: x' });
    expect(currentStatus('docs/acme/a.txt', retried, { version: 'v2', lastModified: T1 }, DEFAULT_TENANCY)).toBe(
      retried,
    );
  });
});

describe('listingPrefix: where a list reads S3', () => {
  it("narrows to the documents prefix and, with tenants by path, the tenant's folder", () => {
    expect(listingPrefix('', null, DEFAULT_TENANCY)).toBe('docs/');
    expect(listingPrefix('docs/acme/r', null, DEFAULT_TENANCY)).toBe('docs/acme/r');
    expect(listingPrefix('', 'acme', DEFAULT_TENANCY)).toBe('docs/acme/');
    expect(listingPrefix('docs/globex/', 'acme', DEFAULT_TENANCY)).toBeNull();
    expect(listingPrefix('other/', null, DEFAULT_TENANCY)).toBeNull();
    expect(listingPrefix('', 'acme', { ...DEFAULT_TENANCY, attribute: 'team' })).toBe('docs/');
  });
});

describe('currentPage: the table page joined with S3 over the same range', () => {
  const base = {
    listed: 'docs/',
    listedTo: null,
    unfiltered: true,
    isDocument: (key: string) => key.endsWith('.txt'),
    limit: 10,
    tenant: null,
    tenancy: DEFAULT_TENANCY,
  };
  const v1 = { version: 'v1', lastModified: T0 };

  it('adds the documents S3 has and the table does not, in key order; skips what ingestion never records', () => {
    const page = currentPage({
      ...base,
      rows: [indexed('docs/acme/b.txt')],
      rowsTo: null,
      objects: new Map([
        ['docs/acme/a.txt', v1],
        ['docs/acme/b.txt', v1],
        ['docs/acme/c.bin', v1],
      ]),
    });
    expect(page.documents.map((d) => [d.source, d.status])).toEqual([
      ['docs/acme/a.txt', 'pending'],
      ['docs/acme/b.txt', 'indexed'],
    ]);
    expect(page.next).toBeNull();
  });

  it("ends at the table page's last row when the table has more, and continues after it", () => {
    const page = currentPage({
      ...base,
      limit: 1,
      rows: [indexed('docs/acme/b.txt')],
      rowsTo: 'docs/acme/b.txt',
      objects: new Map([
        ['docs/acme/b.txt', v1],
        ['docs/acme/c.txt', v1],
      ]),
    });
    expect(page).toEqual({ documents: [indexed('docs/acme/b.txt')], next: 'docs/acme/b.txt' });
  });

  it("ends at the table page's end even when it kept none of its rows, so the next page goes on after it", () => {
    const page = currentPage({
      ...base,
      rows: [],
      rowsTo: 'docs/acme/b.txt',
      objects: new Map([['docs/acme/c.txt', v1]]),
    });
    expect(page).toEqual({ documents: [], next: 'docs/acme/b.txt' });
  });

  it('ends where S3 stopped listing, so no row past it is judged without its object', () => {
    const page = currentPage({
      ...base,
      rows: [indexed('docs/acme/a.txt'), indexed('docs/acme/z.txt')],
      rowsTo: null,
      objects: new Map([['docs/acme/a.txt', v1]]),
      listedTo: 'docs/acme/m.txt',
    });
    expect(page).toEqual({ documents: [indexed('docs/acme/a.txt')], next: 'docs/acme/m.txt' });
  });

  it('cuts to the limit when added documents make the page longer', () => {
    const page = currentPage({
      ...base,
      limit: 2,
      rows: [indexed('docs/acme/c.txt')],
      rowsTo: null,
      objects: new Map([
        ['docs/acme/a.txt', v1],
        ['docs/acme/b.txt', v1],
        ['docs/acme/c.txt', v1],
      ]),
    });
    expect(page.documents.map((d) => d.source)).toEqual(['docs/acme/a.txt', 'docs/acme/b.txt']);
    expect(page.next).toBe('docs/acme/b.txt');
  });

  it("filters by the caller's tenant and by current status; without a status, deleted documents are left out", () => {
    const parts = {
      ...base,
      rows: [indexed('docs/acme/a.txt'), indexed('docs/acme/gone.txt', null, { status: 'deleted', chunks: 0 })],
      rowsTo: null,
      objects: new Map([
        ['docs/acme/a.txt', { version: 'v2', lastModified: T1 }],
        ['docs/globex/b.txt', v1],
      ]),
    };
    expect(currentPage(parts).documents.map((d) => d.source)).toEqual(['docs/acme/a.txt', 'docs/globex/b.txt']);
    expect(currentPage({ ...parts, tenant: 'acme' }).documents.map((d) => d.source)).toEqual(['docs/acme/a.txt']);
    expect(currentPage({ ...parts, status: 'indexed' }).documents).toEqual([]);
    expect(currentPage({ ...parts, status: 'deleted' }).documents.map((d) => d.source)).toEqual(['docs/acme/gone.txt']);
  });

  it('adds no unrecorded document to a page of rows filtered by status (they may have records of another)', () => {
    const page = currentPage({
      ...base,
      unfiltered: false,
      status: 'failed',
      rows: [],
      rowsTo: null,
      objects: new Map([['docs/acme/a.txt', v1]]),
    });
    expect(page).toEqual({ documents: [], next: null });
  });

  it("keeps a recorded key ingestion does not read (an unsupported type's failure) as recorded, as GET does", () => {
    const refused = indexed('docs/acme/a.bin', null, { status: 'failed', reason: 'unsupported type', chunks: 0 });
    const page = currentPage({ ...base, rows: [refused], rowsTo: null, objects: new Map() });
    expect(page.documents).toEqual([refused]);
  });

  it('orders and bounds keys as S3 lists them (UTF-8): a character above U+FFFF after U+E000–U+FFFF', () => {
    // '\u{1F600}' is a surrogate pair in UTF-16 (D83D …), which JavaScript's own order puts before '\uFF21'.
    const emoji = 'docs/acme/\u{1F600}.txt';
    const fullwidth = 'docs/acme/\uFF21.txt';
    const page = currentPage({
      ...base,
      limit: 1,
      rows: [indexed(fullwidth)],
      rowsTo: fullwidth,
      objects: new Map([
        [emoji, v1],
        [fullwidth, v1],
      ]),
    });
    expect(page).toEqual({ documents: [indexed(fullwidth)], next: fullwidth });
  });

  it('keeps the records outside the listed prefix as recorded', () => {
    const outside = indexed('other/a.txt');
    const page = currentPage({ ...base, rows: [outside], rowsTo: null, objects: new Map() });
    expect(page.documents).toEqual([outside]);
  });
});
