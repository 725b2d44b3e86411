import path from 'node:path';
import { DEFAULT_MAX_EXTRACTED_CHARS, decodeText, type DocumentRules } from '../../pipeline/ingest/document.js';
import { UnsupportedDocumentError } from '../../pipeline/errors.js';
import { CharBudget } from './common.js';
import { detectFormat, FORMAT_EXTENSIONS } from './detect.js';
import { extractDocx } from './docx.js';
import { extractHtml } from './html.js';
import { extractPdf } from './pdf.js';
import { extractPdfIsolated } from './pdfProcess.js';
import type { DocumentFormat, ExtractedText } from '../../pipeline/ports.js';

export { detectFormat, type DetectedFormat } from './detect.js';

const FORMAT_NAMES: Record<DocumentFormat, string> = {
  text: 'text',
  html: 'an HTML page',
  pdf: 'a PDF',
  docx: 'a Word document',
};

/** Whether a name is read as text unless its content says otherwise (`.txt`, `.md` and any other accepted type). */
function isTextName(ext: string): boolean {
  return !Object.entries(FORMAT_EXTENSIONS).some(([format, exts]) => format !== 'text' && exts.includes(ext));
}

/** A format found by content is read only when one of its extensions is accepted (DOCUMENT_EXTENSIONS). */
function checkAccepted(ext: string, format: DocumentFormat, rules: DocumentRules): void {
  if (format === 'text' || FORMAT_EXTENSIONS[format].some((e) => rules.extensions.includes(e))) return;
  throw new UnsupportedDocumentError(
    `"${ext || '(none)'}" file is ${FORMAT_NAMES[format]}; ${FORMAT_EXTENSIONS[format].join(', ')} is not an accepted type`,
  );
}

/**
 * The text of a document, whatever its format: the one entry point ingestion (and the local upload check) reads
 * documents through. The format comes from the content first (a PDF named `.txt` is read as a PDF, an HTML page
 * named `.docx` as HTML), then the name; text files follow decodeText's rules (UTF-8, no NUL bytes; an empty one
 * is empty text, as before). Whatever cannot be read (too large, an empty PDF or Word file, truncated,
 * encrypted, a zip bomb, nested too deep, more text than `rules.maxChars`) is an UnsupportedDocumentError with
 * the reason, which ingestion logs as a skip; nothing is returned in part, so a bad file leaves no chunks.
 * `extractText('docs/report.pdf', bytes, rules)` gives `{ format: 'pdf', text, pages }`.
 */
export async function extractText(name: string, bytes: Uint8Array, rules: DocumentRules): Promise<ExtractedText> {
  const maxChars = rules.maxChars ?? DEFAULT_MAX_EXTRACTED_CHARS;
  if (bytes.byteLength > rules.maxBytes) {
    throw new UnsupportedDocumentError(`document is ${bytes.byteLength} bytes; the limit is ${rules.maxBytes} bytes`);
  }
  const ext = path.extname(name).toLowerCase();
  // An empty text file is text with nothing to index, as ever; an empty PDF, page or Word file is a failed upload.
  if (bytes.byteLength === 0 && !isTextName(ext)) throw new UnsupportedDocumentError('document is empty (0 bytes)');
  const format = detectFormat(name, bytes);
  switch (format) {
    case 'zip':
      throw new UnsupportedDocumentError('document is a zip archive without word/document.xml: not a Word document');
    case 'ole':
      throw new UnsupportedDocumentError(
        'document is an OLE2 compound file (a legacy .doc/.xls, or a password-protected Office file): not supported',
      );
    case 'pdf':
      checkAccepted(ext, format, rules);
      return rules.pdf ? extractPdfIsolated(bytes, maxChars, rules.pdf) : extractPdf(bytes, maxChars);
    case 'docx':
      checkAccepted(ext, format, rules);
      return extractDocx(bytes, maxChars);
    case 'html':
      checkAccepted(ext, format, rules);
      return extractHtml(bytes, maxChars);
    case 'text': {
      const text = decodeText(bytes, rules.maxBytes);
      new CharBudget(maxChars).add(text.length);
      return { format, text };
    }
  }
}
