import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { checkInflatedSize, inflateBudget } from '../../../shared/extract/pdfStreams.js';
import { makePdf } from '../../documents.js';

/** A PDF object holding one stream, with its dictionary's extra entries. */
const streamObject = (dictionary: string, data: Buffer) =>
  Buffer.concat([
    Buffer.from(`%PDF-1.7\n4 0 obj\n<< /Length ${data.length} ${dictionary} >>\nstream\n`),
    data,
    Buffer.from('\nendstream\nendobj\n%%EOF\n'),
  ]);

describe('checkInflatedSize', () => {
  it('refuses streams that inflate past the budget, counting them all', () => {
    expect(() => checkInflatedSize(makePdf([['x']], { inflatedPadding: 2048 }), 1024)).toThrow(
      'PDF streams inflate past 1024 bytes (a compression bomb?)',
    );
    const twoPages = makePdf([['x'], ['y']], { inflatedPadding: 600 });
    expect(() => checkInflatedSize(twoPages, 1024)).toThrow('PDF streams inflate past 1024 bytes');
    expect(() => checkInflatedSize(twoPages, 4096)).not.toThrow();
  });

  it('leaves image streams (text extraction never decodes them) and undecodable data to pdf.js', () => {
    const image = streamObject('/Type /XObject /Subtype /Image /Filter /FlateDecode', deflateSync(Buffer.alloc(4096)));
    expect(() => checkInflatedSize(image, 1024)).not.toThrow();
    const corrupt = streamObject('/Filter /FlateDecode', Buffer.from('not deflate data at all'));
    expect(() => checkInflatedSize(corrupt, 1024)).not.toThrow();
  });

  it('allows 16 bytes of streams per character of text, at least 16 MiB', () => {
    expect(inflateBudget(20_000)).toBe(16 * 1024 * 1024);
    expect(inflateBudget(4 * 1024 * 1024)).toBe(64 * 1024 * 1024);
  });
});
