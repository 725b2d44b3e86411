import { Parser } from 'htmlparser2';
import { UnsupportedDocumentError } from '../../pipeline/errors.js';
import { CharBudget, TextSink, unreadable } from './common.js';
import { asBuffer } from './detect.js';
import type { ExtractedText } from '../../pipeline/ports.js';

/**
 * Deepest element nesting read. Browsers stop nesting at 512 (Blink); real pages stay far below. The parser keeps
 * its open elements in an array (no recursion), so this bounds work and states a reason, not a stack.
 */
export const MAX_HTML_DEPTH = 512;

/** Elements whose content is never text a reader sees. */
const NEVER_TEXT = new Set([
  'head',
  'script',
  'style',
  'noscript',
  'template',
  'svg',
  'math',
  'iframe',
  'object',
  'canvas',
  'audio',
  'video',
  'select',
  'textarea',
  'button',
  'nav',
]);
/** Page-level boilerplate: skipped unless inside an article, main content or a section (an article's own header). */
const PAGE_LANDMARKS = new Set(['header', 'footer', 'aside']);
const CONTENT_SECTIONS = new Set(['article', 'main', 'section']);
/** ARIA roles of boilerplate, whatever the element. */
const BOILERPLATE_ROLES = new Set([
  'navigation',
  'banner',
  'contentinfo',
  'complementary',
  'search',
  'menu',
  'menubar',
]);
const HEADINGS = new Set(['h1', 'h2', 'h3', 'h4', 'h5', 'h6']);
/** Blocks set off by a blank line. */
const PARAGRAPHS = new Set([
  'p',
  'blockquote',
  'pre',
  'table',
  'ul',
  'ol',
  'dl',
  'figure',
  'section',
  'article',
  'main',
  'address',
  'details',
  'fieldset',
  'form',
  'hr',
]);
/** Blocks on a line of their own. */
const LINES = new Set(['div', 'li', 'dt', 'dd', 'tr', 'caption', 'figcaption', 'summary', 'legend', 'option', 'label']);
const CELLS = new Set(['td', 'th']);

interface Frame {
  name: string;
  skipped: boolean;
}

function isHidden(attributes: Record<string, string>): boolean {
  if ('hidden' in attributes || attributes['aria-hidden'] === 'true') return true;
  const role = attributes.role?.toLowerCase();
  if (role && BOILERPLATE_ROLES.has(role)) return true;
  return /display\s*:\s*none|visibility\s*:\s*hidden/i.test(attributes.style ?? '');
}

/** windows-1252's characters for the bytes 0x80–0x9f (the rest is Latin-1); undefined bytes stay as they are. */
const CP1252_HIGH = '€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008dŽ\u008f\u0090‘’“”•–—˜™š›œ\u009džŸ';

/**
 * windows-1252 by hand: what browsers use for "latin1", "iso-8859-1", "ascii" and undeclared pages. Node's
 * TextDecoder (through Node 22) decodes that label as plain Latin-1, which turns curly quotes into controls.
 */
function decodeWindows1252(buffer: Buffer): string {
  return buffer.toString('latin1').replace(/[\u0080-\u009f]/g, (c) => CP1252_HIGH[c.charCodeAt(0) - 0x80]!);
}

/** A decoder for a declared label; none for an unknown label (as if none were declared). */
function decoderFor(label: string) {
  try {
    return new TextDecoder(label);
  } catch {
    return undefined;
  }
}

/**
 * The page's character encoding, as a browser picks it: a byte-order mark, then a `<meta charset>` (or
 * `http-equiv` content type) in the first KiB, else UTF-8 when the bytes are valid UTF-8, else windows-1252.
 */
export function decodeHtml(bytes: Uint8Array): string {
  const buffer = asBuffer(bytes);
  if (buffer[0] === 0xfe && buffer[1] === 0xff) return new TextDecoder('utf-16be').decode(buffer);
  if (buffer[0] === 0xff && buffer[1] === 0xfe) return new TextDecoder('utf-16le').decode(buffer);
  if (buffer.includes(0)) throw new UnsupportedDocumentError('document looks binary (contains NUL bytes)');
  const declared = /<meta[^>]+charset\s*=\s*["']?\s*([a-z0-9_:.-]+)/i.exec(buffer.subarray(0, 1024).toString('latin1'));
  const decoder = declared ? decoderFor(declared[1]!) : undefined;
  // A page cannot declare UTF-16 in its own bytes (they would not read as ASCII); browsers take it as UTF-8.
  if (decoder?.encoding === 'windows-1252') return decodeWindows1252(buffer);
  if (decoder && !decoder.encoding.startsWith('utf-16')) return decoder.decode(buffer);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(buffer);
  } catch {
    return decodeWindows1252(buffer);
  }
}

/**
 * The readable text of an HTML page: no scripts, styles, forms' controls, navigation, page header, footer or
 * sidebars (by element and by ARIA role), nothing hidden; headings and paragraphs set off by blank lines, list
 * items and table rows on lines of their own, table cells separated by ` | `, whitespace collapsed as a
 * browser does (kept in `<pre>`). Streams through htmlparser2 (no tree, no recursion); a page nested deeper than
 * MAX_HTML_DEPTH, or whose text passes `maxChars`, or with no text at all is skipped with a reason.
 */
export function extractHtml(bytes: Uint8Array, maxChars: number): ExtractedText {
  const html = decodeHtml(bytes);
  const sink = new TextSink(new CharBudget(maxChars));
  const open: Frame[] = [];
  let skipped = 0; // open elements whose content is skipped (text inside any of them is)
  let sections = 0; // open article/main/section elements
  let pre = 0;
  let cells = 0;
  const rowCells: number[] = []; // cells seen so far in each open table row

  const blockBreak = (name: string) => {
    if (cells > 0) {
      if (HEADINGS.has(name) || PARAGRAPHS.has(name) || LINES.has(name)) sink.space();
    } else if (HEADINGS.has(name) || PARAGRAPHS.has(name)) sink.lineBreak(2);
    else if (LINES.has(name)) sink.lineBreak(1);
  };

  const parser = new Parser(
    {
      onopentag(name, attributes) {
        if (open.length >= MAX_HTML_DEPTH) {
          throw new UnsupportedDocumentError(`HTML is nested deeper than ${MAX_HTML_DEPTH} elements`);
        }
        const skip =
          skipped > 0 || NEVER_TEXT.has(name) || (PAGE_LANDMARKS.has(name) && sections === 0) || isHidden(attributes);
        open.push({ name, skipped: skip });
        if (skip) {
          skipped++;
          return;
        }
        if (CONTENT_SECTIONS.has(name)) sections++;
        if (name === 'pre') pre++;
        if (name === 'br') return cells > 0 ? sink.space() : sink.hardBreak();
        if (name === 'tr') rowCells.push(0);
        if (CELLS.has(name)) {
          const seen = rowCells.length > 0 ? rowCells[rowCells.length - 1]! : 0;
          if (seen > 0) sink.text(' | ', true);
          if (rowCells.length > 0) rowCells[rowCells.length - 1] = seen + 1;
          cells++;
          return;
        }
        blockBreak(name);
      },
      ontext(text) {
        if (skipped === 0) sink.text(text, pre === 0);
      },
      onclosetag() {
        const frame = open.pop();
        if (!frame) return;
        if (frame.skipped) {
          skipped--;
          return;
        }
        const { name } = frame;
        if (CONTENT_SECTIONS.has(name)) sections--;
        if (name === 'pre') pre--;
        if (name === 'tr') rowCells.pop();
        if (CELLS.has(name)) {
          cells--;
          return;
        }
        blockBreak(name);
      },
    },
    { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true },
  );
  try {
    parser.write(html);
    parser.end();
  } catch (error) {
    throw unreadable('HTML', error);
  }
  const text = sink.toString();
  if (!text) throw new UnsupportedDocumentError('HTML page has no readable text (is it rendered by scripts?)');
  return { format: 'html', text };
}
