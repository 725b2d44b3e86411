import { Parser } from 'htmlparser2';
import yauzl from 'yauzl';
import { UnsupportedDocumentError } from '../../pipeline/errors.js';
import { CharBudget, TextSink, unreadable } from './common.js';
import { asBuffer } from './detect.js';
import type { ExtractedText } from '../../pipeline/ports.js';

/** The main part of a Word document (WordprocessingML), where its body text is. */
export const WORD_MAIN_PART = 'word/document.xml';

/**
 * Most bytes the main part may inflate to: its markup runs to 10–20 times its text, so this leaves room for a
 * document at the character limit and refuses a zip bomb (kilobytes that inflate to gigabytes) early.
 */
export const MAX_WORD_XML_BYTES = 64 * 1024 * 1024;

/** Most zip entries looked through for the main part (a Word file has a few dozen). */
const MAX_ZIP_ENTRIES = 10_000;

/** Deepest XML nesting read (a Word body nests tables in tables, rarely past a few dozen levels). */
const MAX_XML_DEPTH = 512;

const localName = (name: string) => name.slice(name.indexOf(':') + 1);

/** Finds the main part by name without inflating anything, refusing it by its declared size. */
async function findMainPart(zip: yauzl.ZipFile, limit: number): Promise<yauzl.Entry> {
  if (zip.entryCount > MAX_ZIP_ENTRIES) {
    throw new UnsupportedDocumentError(`zip archive has ${zip.entryCount} entries; a Word document has a few dozen`);
  }
  for await (const entry of zip.eachEntry()) {
    if (entry.fileName !== WORD_MAIN_PART) continue;
    if (entry.isEncrypted()) throw new UnsupportedDocumentError('Word document is encrypted');
    if (entry.uncompressedSize > limit) {
      throw new UnsupportedDocumentError(
        `${WORD_MAIN_PART} declares ${entry.uncompressedSize} bytes uncompressed; the limit is ${limit} (a zip bomb?)`,
      );
    }
    return entry;
  }
  throw new UnsupportedDocumentError(`zip archive has no ${WORD_MAIN_PART}: not a Word document`);
}

/**
 * A streaming reader of WordprocessingML: the text runs (`w:t`) of the body's paragraphs, each paragraph set off
 * by a blank line (headings are paragraphs too, so they stay lines of their own); tabs and line breaks inside
 * runs kept; table rows on lines of their own with cells separated by ` | `. Deleted and moved-away revisions,
 * field codes and the fallback copies of drawings (`mc:Fallback`, which repeat their `mc:Choice`) are left out.
 */
function wordXmlParser(sink: TextSink): Parser {
  const open: string[] = [];
  let skipped = 0;
  let inText = 0;
  let cells = 0;
  const rowCells: number[] = [];
  const SKIP = new Set(['Fallback', 'moveFrom', 'del', 'instrText', 'delText']);
  const parent = () => open[open.length - 2];

  return new Parser(
    {
      onopentag(name) {
        if (open.length >= MAX_XML_DEPTH) {
          throw new UnsupportedDocumentError(`Word document XML is nested deeper than ${MAX_XML_DEPTH} elements`);
        }
        const local = localName(name);
        open.push(local);
        if (skipped > 0 || SKIP.has(local)) {
          skipped++;
          return;
        }
        const inRun = parent() === 'r';
        if (local === 't' && inRun) inText++;
        else if (local === 'tab' && inRun) sink.text('\t', false);
        else if ((local === 'br' || local === 'cr') && inRun) {
          if (cells > 0) sink.space();
          else sink.hardBreak();
        } else if (local === 'noBreakHyphen' && inRun) sink.text('-', false);
        else if (local === 'tbl') sink.lineBreak(2);
        else if (local === 'tr') {
          rowCells.push(0);
          sink.lineBreak(1);
        } else if (local === 'tc') {
          const seen = rowCells.at(-1) ?? 0;
          if (seen > 0) sink.text(' | ', true);
          if (rowCells.length > 0) rowCells[rowCells.length - 1] = seen + 1;
          cells++;
        }
      },
      ontext(text) {
        if (skipped === 0 && inText > 0) sink.text(text, false);
      },
      onclosetag() {
        const local = open.pop();
        if (skipped > 0) {
          skipped--;
          return;
        }
        if (local === 't' && inText > 0) inText--;
        else if (local === 'p') {
          if (cells > 0) sink.space();
          else sink.lineBreak(2);
        } else if (local === 'tr') {
          rowCells.pop();
          sink.lineBreak(1);
        } else if (local === 'tc') cells--;
        else if (local === 'tbl') sink.lineBreak(2);
      },
    },
    { xmlMode: true, decodeEntities: true },
  );
}

/**
 * The body text of a Word (.docx) document: paragraphs and headings as lines, tables as rows of cells. The zip is
 * read with yauzl; `word/document.xml` is refused when it declares more than MAX_WORD_XML_BYTES, and inflation
 * stops as soon as it passes its declared size or that cap (a zip bomb that lies about its size), or its text
 * passes `maxChars`. The XML streams through htmlparser2 as it inflates, so memory holds neither the whole XML
 * nor a tree. Not a zip, no main part, encrypted, malformed or empty: skipped with a reason.
 */
export async function extractDocx(bytes: Uint8Array, maxChars: number): Promise<ExtractedText> {
  const sink = new TextSink(new CharBudget(maxChars));
  const parser = wordXmlParser(sink);
  let zip: yauzl.ZipFile | undefined;
  try {
    // Sizes are checked here, with this module's reasons, rather than by yauzl's own check.
    zip = await yauzl.fromBufferPromise(asBuffer(bytes), { lazyEntries: true, validateEntrySizes: false });
    const entry = await findMainPart(zip, MAX_WORD_XML_BYTES);
    const limit = Math.min(entry.uncompressedSize, MAX_WORD_XML_BYTES);
    const stream = await zip.openReadStreamPromise(entry);
    const decoder = new TextDecoder('utf-8', { fatal: true });
    let inflated = 0;
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      inflated += chunk.length;
      if (inflated > limit) {
        throw new UnsupportedDocumentError(
          `${WORD_MAIN_PART} inflates past ${limit} bytes${limit === entry.uncompressedSize ? ', its declared size' : ''} (a zip bomb?)`,
        );
      }
      parser.write(decoder.decode(chunk, { stream: true }));
    }
    parser.write(decoder.decode());
    parser.end();
  } catch (error) {
    throw unreadable('Word document', error);
  } finally {
    zip?.close();
  }
  const text = sink.toString();
  if (!text.trim()) throw new UnsupportedDocumentError('Word document has no text');
  return { format: 'docx', text };
}
