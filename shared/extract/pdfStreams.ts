import { constants, inflateSync } from 'node:zlib';
import { UnsupportedDocumentError } from '../errors.js';

/**
 * pdf.js inflates a stream whole, with no cap of its own, so a PDF holding a compression bomb (kilobytes that
 * inflate to gigabytes) would exhaust the function's memory inside it. This check inflates each Flate stream
 * first, into at most what is left of a budget, and refuses the document once the budget is spent: memory stays
 * bounded by it whatever the file holds.
 */

/** Bytes a PDF's streams may inflate to in all: 16 per character of text allowed, at least 16 MiB (64 MiB by default). */
export function inflateBudget(maxChars: number): number {
  return Math.max(16 * 1024 * 1024, 16 * maxChars);
}

const STREAM = /stream\r?\n/g;

/** The dictionary of the object a stream belongs to: the text between its `obj` keyword and `stream`. */
function dictionaryBefore(text: string, streamAt: number): string {
  const objAt = text.lastIndexOf(' obj', streamAt);
  return text.slice(objAt === -1 ? Math.max(0, streamAt - 4096) : objAt, streamAt);
}

/**
 * Inflates every Flate-encoded stream pdf.js would read for text (images are not: text extraction never decodes
 * them) and throws once their total passes `budget`. A stream that does not inflate cleanly is left to pdf.js,
 * which recovers what readers recover; streams under other filters pass (their decoders are not bombs of this kind).
 * @throws UnsupportedDocumentError past the budget.
 */
export function checkInflatedSize(bytes: Uint8Array, budget: number): void {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const text = buffer.toString('latin1');
  let used = 0;
  for (const match of text.matchAll(STREAM)) {
    const start = match.index + match[0].length;
    // `endstream` preceded by the keyword `stream`'s own match would be the same one: skip those.
    if (text.slice(match.index - 3, match.index) === 'end') continue;
    const dictionary = dictionaryBefore(text, match.index);
    if (!/\/FlateDecode|\/Fl\b/.test(dictionary) || /\/Subtype\s*\/Image/.test(dictionary)) continue;
    const end = text.indexOf('endstream', start);
    if (end === -1) continue;
    try {
      used += inflateSync(buffer.subarray(start, end), {
        maxOutputLength: budget - used + 1,
        finishFlush: constants.Z_SYNC_FLUSH,
      }).byteLength;
    } catch (error) {
      if ((error as { code?: string }).code !== 'ERR_BUFFER_TOO_LARGE') continue;
      used = budget + 1;
    }
    if (used > budget) {
      throw new UnsupportedDocumentError(`PDF streams inflate past ${budget} bytes (a compression bomb?)`);
    }
  }
}
