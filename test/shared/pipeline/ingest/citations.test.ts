import { describe, expect, it } from 'vitest';
import { locateChunks, pagesOf } from '../../../../shared/pipeline/ingest/citations.js';

describe('locateChunks', () => {
  it('finds overlapping chunks in order, each after the previous start', () => {
    const text = 'abc abc abc';
    // Two equal chunks: the second is the later occurrence, not the first again.
    expect(locateChunks(text, ['abc abc', 'abc abc'])).toEqual([
      { start: 0, end: 7 },
      { start: 4, end: 11 },
    ]);
  });

  it('gives null for a chunk that is not in the text, and goes on', () => {
    expect(locateChunks('one two three', ['one', 'four', 'three'])).toEqual([
      { start: 0, end: 3 },
      null,
      { start: 8, end: 13 },
    ]);
  });
});

describe('pagesOf', () => {
  const pages = [
    { page: 1, start: 0, end: 10 },
    { page: 2, start: 12, end: 12 }, // an empty page
    { page: 3, start: 14, end: 30 },
  ];

  it('names the first and last page a span touches', () => {
    expect(pagesOf({ start: 2, end: 8 }, pages)).toEqual({ first: 1, last: 1 });
    expect(pagesOf({ start: 5, end: 20 }, pages)).toEqual({ first: 1, last: 3 });
    expect(pagesOf({ start: 14, end: 30 }, pages)).toEqual({ first: 3, last: 3 });
  });

  it('is null without pages (text, HTML, Word)', () => {
    expect(pagesOf({ start: 0, end: 5 }, undefined)).toBeNull();
    expect(pagesOf({ start: 0, end: 5 }, [])).toBeNull();
  });
});
