import { createHash } from 'node:crypto';
import path from 'node:path';
import { UnsupportedDocumentError } from '../errors.js';

/**
 * Most characters of text one document may yield, 4 Mi: as many as the largest text file MAX_DOCUMENT_BYTES lets
 * in, so a compressed format (a PDF's or a Word file's text inflates) costs no more to split and embed than that.
 */
export const DEFAULT_MAX_EXTRACTED_CHARS = 4 * 1024 * 1024;

/** The memory and time one PDF's extraction may take, in its own process (shared/adapters/extract/pdfProcess.ts). */
export interface PdfIsolation {
  /** Resident memory the child may use, its own baseline (pdf.js and the function's code) included; Linux only. */
  memoryMb: number;
  /** Longest one PDF may take. */
  timeoutMs: number;
}

/**
 * 1 GiB resident of the ingest function's 2 GiB, which the function shares with it (pdf.js alone takes about
 * 300 MiB); 60 s is a 10,000-page PDF at a quarter of the measured rate, and leaves a document that starts with the
 * ingest function's reserve of 240 s three minutes to embed.
 */
export const DEFAULT_PDF_ISOLATION: PdfIsolation = { memoryMb: 1024, timeoutMs: 60_000 };

export interface DocumentRules {
  /** Lower-case extensions accepted, with the dot (e.g. `.txt`). */
  extensions: string[];
  maxBytes: number;
  /** Most characters of text a document may yield once extracted. @default DEFAULT_MAX_EXTRACTED_CHARS */
  maxChars?: number;
  /**
   * Read PDFs in a child process with this memory and time (the functions and CLIs pass PDF_MEMORY_MB /
   * PDF_TIMEOUT_S). @default read in this process, unbounded (unit tests, library callers)
   */
  pdf?: PdfIsolation;
}

/** Hex SHA-256; used for content identity and for store keys derived from user-chosen names. */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Rejects a document by name or declared size before any bytes are read. */
export function checkDocumentHeader(name: string, sizeBytes: number | undefined, rules: DocumentRules): void {
  const ext = path.extname(name).toLowerCase();
  if (!rules.extensions.includes(ext)) {
    throw new UnsupportedDocumentError(
      `unsupported file type "${ext || '(none)'}"; accepted: ${rules.extensions.join(', ')}`,
    );
  }
  if (sizeBytes !== undefined && sizeBytes > rules.maxBytes) {
    throw new UnsupportedDocumentError(`document is ${sizeBytes} bytes; the limit is ${rules.maxBytes} bytes`);
  }
}

/**
 * Decodes document bytes as UTF-8 text, refusing what is not text: NUL bytes (binary files) or invalid
 * UTF-8 sequences. A UTF-8 byte-order mark is dropped.
 */
export function decodeText(bytes: Uint8Array, maxBytes: number): string {
  if (bytes.byteLength > maxBytes) {
    throw new UnsupportedDocumentError(`document is ${bytes.byteLength} bytes; the limit is ${maxBytes} bytes`);
  }
  if (bytes.includes(0)) throw new UnsupportedDocumentError('document looks binary (contains NUL bytes)');
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch (cause) {
    throw new UnsupportedDocumentError('document is not valid UTF-8 text', { cause });
  }
}
