import { UnsupportedDocumentError } from '../../pipeline/errors.js';
import { once } from '../../pipeline/once.js';
import { CharBudget, unreadable } from './common.js';
import { asBuffer } from './detect.js';
import { checkInflatedSize, inflateBudget } from './pdfStreams.js';
import type { ExtractedText, PageRange } from '../../pipeline/ports.js';

type PdfJs = typeof import('pdfjs-dist/legacy/build/pdf.mjs');

/** Readers require `%%EOF` within the last KiB; a file cut short in transfer has none. */
const EOF_WINDOW = 1024;
/** Pages one PDF may have (a book of 10,000 pages is far past what one ingest invocation indexes anyway). */
export const MAX_PDF_PAGES = 10_000;

/**
 * pdf.js's display layer builds a DOMMatrix (and checks for ImageData and Path2D) when it loads; Node has none,
 * and text extraction never draws, so inert stand-ins do (pdf.js would otherwise take them from the native
 * @napi-rs/canvas, an optional dependency the Lambda bundle does not carry).
 */
function standInsForDrawing(): void {
  const g = globalThis as Record<string, unknown>;
  g.DOMMatrix ??= class DOMMatrix {
    a = 1;
    b = 0;
    c = 0;
    d = 1;
    e = 0;
    f = 0;
    constructor(init?: number[]) {
      if (Array.isArray(init) && init.length === 6) [this.a, this.b, this.c, this.d, this.e, this.f] = init;
    }
  };
  g.ImageData ??= class ImageData {};
  g.Path2D ??= class Path2D {};
}

/**
 * pdf.js (the legacy build, for Node), loaded on the first PDF only: a text file never pays for it. Its worker
 * runs in this thread (`globalThis.pdfjsWorker`), so nothing is fetched from a path the bundle does not have.
 */
const loadPdfJs = once(async (): Promise<PdfJs> => {
  standInsForDrawing();
  // While it loads, pdf.js looks for @napi-rs/canvas (for drawing) and warns that it is missing on every cold
  // start; that one warning is dropped, nothing else.
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (!String(args[0]).includes('"@napi-rs/canvas"')) warn(...args);
  };
  try {
    const [pdfjs, worker] = await Promise.all([
      import('pdfjs-dist/legacy/build/pdf.mjs'),
      import('pdfjs-dist/legacy/build/pdf.worker.mjs'),
    ]);
    (globalThis as { pdfjsWorker?: unknown }).pdfjsWorker = worker;
    return pdfjs;
  } finally {
    console.warn = warn;
  }
});

/**
 * One page's text items as lines: pdf.js marks line ends (`hasEOL`) and inserts the spaces between words. Stops
 * as soon as the page alone passes `maxChars` (a page of endlessly repeated text).
 */
function pageText(items: readonly object[], maxChars: number): string {
  let text = '';
  for (const item of items) {
    if (!('str' in item)) continue; // marked-content boundaries carry no text
    const { str, hasEOL } = item as { str: string; hasEOL: boolean };
    text += str;
    if (hasEOL) text += '\n';
    if (text.length > maxChars) new CharBudget(maxChars).add(text.length);
  }
  return (
    text
      // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters from fonts without a text mapping
      .replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '')
      .replace(/[ \t]+\n/g, '\n')
      .replace(/\n{3,}/g, '\n\n')
      .trim()
  );
}

/**
 * The text layer of a PDF, page by page in content order (the order the producer wrote it, which is reading
 * order for ordinary documents), pages separated by a blank line, each page's range in `pages`. Skipped with a
 * reason: a file cut short (no `%%EOF` at its end), one whose streams inflate past a budget (a compression bomb),
 * a malformed one, one that needs a password, one with no text
 * on any page (a scan: no OCR), and one whose text passes `maxChars`. Within a complete file pdf.js recovers
 * from what readers recover from (a damaged font or cross-reference table), so the text is what a reader shows;
 * a page it cannot read at all fails the whole document, never leaving part of it.
 */
export async function extractPdf(bytes: Uint8Array, maxChars: number): Promise<ExtractedText> {
  const eof = asBuffer(bytes).lastIndexOf('%%EOF', undefined, 'latin1');
  if (eof === -1 || eof < bytes.byteLength - EOF_WINDOW) {
    throw new UnsupportedDocumentError('PDF is truncated (no %%EOF marker at its end)');
  }
  checkInflatedSize(bytes, inflateBudget(maxChars));
  const pdfjs = await loadPdfJs();
  const task = pdfjs.getDocument({
    data: new Uint8Array(bytes), // a copy: pdf.js may take over the buffer it is given
    verbosity: pdfjs.VerbosityLevel.ERRORS,
    isEvalSupported: false,
    disableFontFace: true,
    useSystemFonts: false,
    enableXfa: false,
  });
  const budget = new CharBudget(maxChars);
  try {
    const document = await task.promise;
    // A page tree can name one page object endlessly: each costs a parse, so the count is bounded too.
    if (document.numPages > MAX_PDF_PAGES) {
      throw new UnsupportedDocumentError(`PDF has ${document.numPages} pages; the limit is ${MAX_PDF_PAGES}`);
    }
    const pages: PageRange[] = [];
    let text = '';
    for (let number = 1; number <= document.numPages; number++) {
      const page = await document.getPage(number);
      const content = pageText((await page.getTextContent()).items, maxChars);
      page.cleanup();
      if (content) {
        const separator = text ? '\n\n' : '';
        budget.add(separator.length + content.length);
        text += separator;
        pages.push({ page: number, start: text.length, end: text.length + content.length });
        text += content;
      } else {
        pages.push({ page: number, start: text.length, end: text.length });
      }
    }
    if (!text) {
      throw new UnsupportedDocumentError('PDF has no text layer (scanned pages?); OCR is not supported');
    }
    return { format: 'pdf', text, pages };
  } catch (error) {
    const name = (error as { name?: string } | null)?.name;
    if (name === 'PasswordException') {
      throw new UnsupportedDocumentError('PDF is encrypted (it needs a password to open)', { cause: error });
    }
    if (name === 'InvalidPDFException') {
      throw new UnsupportedDocumentError('PDF is malformed (invalid PDF structure)', { cause: error });
    }
    throw unreadable('PDF', error);
  } finally {
    await task.destroy();
  }
}
