import path from 'node:path';
import type { DocumentFormat } from '../../pipeline/ports.js';

/**
 * What a document's bytes are, whatever its name says: a format ingestion reads, or a kind it refuses with its
 * own reason (a zip that is not a Word file, a legacy Office file).
 */
export type DetectedFormat = DocumentFormat | 'zip' | 'ole';

/** Extensions of each format, for the name and for the accepted types (`DOCUMENT_EXTENSIONS`). */
export const FORMAT_EXTENSIONS: Record<DocumentFormat, readonly string[]> = {
  text: ['.txt', '.md'],
  html: ['.html', '.htm'],
  pdf: ['.pdf'],
  docx: ['.docx'],
};

/** How far into a file its signature is looked for (the PDF header may follow junk; so may an HTML doctype). */
const SNIFF_BYTES = 1024;
const ZIP_LOCAL_HEADER = [0x50, 0x4b, 0x03, 0x04];
const OLE2_HEADER = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1];
const WORD_MAIN_PART = Buffer.from('word/document.xml', 'latin1');
/** A strong HTML start: optional XML declaration and comments, then a doctype or an <html> tag. */
const HTML_START = /^(?:\s|<\?xml[^>]*>|<!--[\s\S]*?-->)*<(?:!doctype\s+html|html[\s>])/i;

function startsWith(bytes: Uint8Array, signature: number[]): boolean {
  return bytes.length >= signature.length && signature.every((b, i) => bytes[i] === b);
}

/** The bytes as a Buffer without copying them. */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** The first bytes as text with every byte kept (UTF-16 is decoded, so a BOM-marked HTML page is seen too). */
function head(start: Buffer): string {
  if (start[0] === 0xff && start[1] === 0xfe) return start.subarray(2).toString('utf16le');
  if (start[0] === 0xfe && start[1] === 0xff) return Buffer.from(start.subarray(2)).swap16().toString('utf16le');
  return start.toString('latin1').replace(/^\u00ef\u00bb\u00bf/, '');
}

/**
 * The format of a document by its content first: the magic bytes `%PDF-` (at the start; in a file named `.pdf`
 * anywhere in the first KiB, as readers accept, but not in a text file that merely quotes a header), a zip (`PK\x03\x04`) holding `word/document.xml`, an OLE2 compound file, or an HTML doctype or
 * `<html>` tag. Only then the name: `.html`/`.htm` with no such start (a fragment) is still HTML; anything else
 * is text, checked as text (binary and invalid UTF-8 are refused there). So a PDF named `report.txt` is 'pdf'.
 */
export function detectFormat(name: string, bytes: Uint8Array): DetectedFormat {
  const ext = path.extname(name).toLowerCase();
  const first = asBuffer(bytes).subarray(0, SNIFF_BYTES);
  const pdfAt = first.indexOf('%PDF-', 0, 'latin1');
  if (pdfAt === 0 || (pdfAt > 0 && FORMAT_EXTENSIONS.pdf.includes(ext))) return 'pdf';
  if (startsWith(bytes, ZIP_LOCAL_HEADER)) return asBuffer(bytes).includes(WORD_MAIN_PART) ? 'docx' : 'zip';
  if (startsWith(bytes, OLE2_HEADER)) return 'ole';
  if (HTML_START.test(head(first))) return 'html';
  return FORMAT_EXTENSIONS.html.includes(ext) ? 'html' : 'text';
}
