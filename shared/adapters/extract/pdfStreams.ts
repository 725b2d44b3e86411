import { constants as buffers } from 'node:buffer';
import { constants, inflateSync } from 'node:zlib';
import { UnsupportedDocumentError } from '../../pipeline/errors.js';

/**
 * pdf.js inflates a stream whole, with no cap of its own, so a PDF holding a compression bomb (kilobytes that
 * inflate to gigabytes) would exhaust the function's memory inside it. This check inflates every zlib stream of
 * the file first, into at most what is left of a budget, and refuses the document once the budget is spent. It
 * reads no dictionary to find them (zlib's own header and end mark them, whatever `/Length` or `endstream` say),
 * and refuses the filters whose output it cannot measure.
 */

/** Bytes a PDF's text streams may inflate to in all: 16 per character of text allowed, at least 16 MiB. */
export function inflateBudget(maxChars: number): number {
  return Math.max(16 * 1024 * 1024, 16 * maxChars);
}

/** Images weigh more and text extraction never decodes them: they have a budget 4 times as large of their own. */
const IMAGE_BUDGET_FACTOR = 4;
/**
 * Streams one PDF may have (10,000 pages, a few each), and streams that fail to inflate (a damaged file has a few):
 * each costs a zlib call, a failing one about 0.1 ms.
 */
export const MAX_PDF_STREAMS = 50_000;
export const MAX_BROKEN_STREAMS = 1_000;

const STREAM = Buffer.from('stream', 'latin1');
/** A PDF name ends at whitespace or a delimiter. */
const END_OF_NAME = String.raw`(?=[\s/\[\]<>()%{}]|$)`;
/**
 * Filters pdf.js decodes whose output a zlib pass cannot measure: LZW (a bomb of its own), run-length (64 times its
 * input), and the ASCII encodings (which can hide a Flate stream from the zlib pass).
 */
const UNMEASURED = new RegExp(
  `/(?:LZWDecode|LZW|RunLengthDecode|RL|ASCII85Decode|A85|ASCIIHexDecode|AHx)${END_OF_NAME}`,
);
/** A name may spell any character as `#xx` (`/LZW#44ecode` is `/LZWDecode`): names are matched as pdf.js reads them. */
const decodeNames = (latin1: string) =>
  latin1.replace(/#([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
const IMAGE = new RegExp(String.raw`/Subtype\s*/Image${END_OF_NAME}`);
/** Bytes before a stream searched for its dictionary's `/Subtype /Image`. */
const DICTIONARY_WINDOW = 1024;

/** A zlib header (RFC 1950): deflate, a window of at most 32 KiB, and a check that makes it a multiple of 31. */
const isZlibHeader = (cmf: number | undefined, flg: number | undefined) =>
  cmf !== undefined && flg !== undefined && (cmf & 0x0f) === 8 && cmf >> 4 <= 7 && ((cmf << 8) | flg) % 31 === 0;

/** Where a stream's data starts: after `stream`, spaces and one end of line (pdf.js is as lenient). */
function dataStart(buffer: Buffer, keyword: number): number {
  let at = keyword + STREAM.length;
  while (buffer[at] === 0x20 || buffer[at] === 0x09) at++;
  if (buffer[at] === 0x0d) at++;
  if (buffer[at] === 0x0a) at++;
  return at;
}

/**
 * Inflates every zlib stream, text and images against their own budgets, and refuses a PDF that passes one, uses
 * LZW or ASCII filters (in the file, or in an inflated object stream's dictionaries), or has more than
 * MAX_PDF_STREAMS streams or MAX_BROKEN_STREAMS that do not inflate. A stream that does not inflate cleanly is left to pdf.js, which recovers what readers
 * recover. Linear in the file's size; memory bounded by the larger budget.
 * @throws UnsupportedDocumentError for any of those.
 */
export function checkInflatedSize(bytes: Uint8Array, budget: number): void {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const unmeasured = (latin1: string) => {
    if (UNMEASURED.test(latin1) || (latin1.includes('#') && UNMEASURED.test(decodeNames(latin1)))) {
      throw new UnsupportedDocumentError(
        'PDF uses LZW, run-length or ASCII stream filters, whose output cannot be bounded before reading: not supported',
      );
    }
  };
  unmeasured(buffer.toString('latin1'));
  const budgets = { text: budget, image: budget * IMAGE_BUDGET_FACTOR };
  const used = { text: 0, image: 0 };
  let streams = 0;
  let broken = 0;
  for (let at = buffer.indexOf(STREAM); at !== -1; at = buffer.indexOf(STREAM, at + STREAM.length)) {
    const start = dataStart(buffer, at);
    if (!isZlibHeader(buffer[start], buffer[start + 1])) continue;
    if (++streams > MAX_PDF_STREAMS) {
      throw new UnsupportedDocumentError(`PDF has more than ${MAX_PDF_STREAMS} compressed streams`);
    }
    const room = Math.max(budgets.text - used.text, budgets.image - used.image);
    let inflated: Buffer | null;
    try {
      // zlib stops at the deflate stream's end: whatever follows (endstream, the next objects) is not read.
      inflated = inflateSync(buffer.subarray(start), {
        // Node 20 takes at most 4 GiB - 1 here; a budget past it is bounded by that.
        maxOutputLength: Math.min(room + 1, buffers.MAX_LENGTH),
        finishFlush: constants.Z_SYNC_FLUSH,
      });
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code !== 'ERR_BUFFER_TOO_LARGE') {
        if (code !== 'Z_DATA_ERROR' && code !== 'Z_BUF_ERROR' && code !== 'Z_NEED_DICT') throw error;
        if (++broken > MAX_BROKEN_STREAMS) {
          throw new UnsupportedDocumentError(
            `PDF is malformed (more than ${MAX_BROKEN_STREAMS} streams do not inflate)`,
          );
        }
        continue;
      }
      inflated = null;
    }
    const kind = IMAGE.test(buffer.toString('latin1', Math.max(0, at - DICTIONARY_WINDOW), at)) ? 'image' : 'text';
    used[kind] += inflated?.byteLength ?? room + 1;
    if (used[kind] > budgets[kind]) {
      throw new UnsupportedDocumentError(
        `PDF ${kind === 'image' ? 'images' : 'streams'} inflate past ${budgets[kind]} bytes (a compression bomb?)`,
      );
    }
    // An object stream holds other objects' dictionaries, filter arrays among them (whatever its label says).
    if (inflated) unmeasured(inflated.toString('latin1'));
  }
}
