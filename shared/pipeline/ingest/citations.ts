import type { PageRange } from '../ports.js';

/** Where a chunk sits in its document's extracted text: `text.slice(start, end)` is the chunk. */
export interface CharSpan {
  start: number;
  end: number;
}

/**
 * The span of each chunk in `text`, in order. The splitter's chunks are substrings of the text in order, each
 * starting after the previous one's start (they overlap), so one forward scan finds them; a chunk not found
 * (a splitter that rewrote text) gets null rather than a wrong place.
 */
export function locateChunks(text: string, chunks: string[]): (CharSpan | null)[] {
  let from = 0;
  return chunks.map((chunk) => {
    const start = text.indexOf(chunk, from);
    if (start === -1) return null;
    from = start + 1;
    return { start, end: start + chunk.length };
  });
}

/** The first and last page a span touches, from the pages' ranges in the text (PDFs); null without pages. */
export function pagesOf(span: CharSpan, pages: PageRange[] | undefined): { first: number; last: number } | null {
  if (!pages?.length) return null;
  const touched = pages.filter((p) => p.start < span.end && p.end > span.start);
  if (touched.length === 0) return null;
  return { first: touched[0]!.page, last: touched.at(-1)!.page };
}
