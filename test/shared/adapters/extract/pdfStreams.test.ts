import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  MAX_BROKEN_STREAMS,
  MAX_PDF_STREAMS,
  checkInflatedSize,
  inflateBudget,
} from '../../../../shared/adapters/extract/pdfStreams.js';
import { makePdf } from '../../../documents.js';

/** A PDF object holding one stream: its dictionary's entries, the keyword's end of line, its data. */
const streamObject = (dictionary: string, data: Buffer, eol = '\n') =>
  Buffer.concat([
    Buffer.from(`4 0 obj\n<< /Length ${data.length} ${dictionary} >>\nstream${eol}`),
    data,
    Buffer.from('\nendstream\nendobj\n'),
  ]);
const pdfOf = (...objects: Buffer[]) => Buffer.concat([Buffer.from('%PDF-1.7\n'), ...objects, Buffer.from('%%EOF\n')]);

describe('checkInflatedSize', () => {
  it('refuses streams that inflate past the budget, counting them all', () => {
    expect(() => checkInflatedSize(makePdf([['x']], { inflatedPadding: 2048 }), 1024)).toThrow(
      'PDF streams inflate past 1024 bytes (a compression bomb?)',
    );
    const twoPages = makePdf([['x'], ['y']], { inflatedPadding: 600 });
    expect(() => checkInflatedSize(twoPages, 1024)).toThrow('PDF streams inflate past 1024 bytes');
    expect(() => checkInflatedSize(twoPages, 4096)).not.toThrow();
  });

  it('finds streams by their zlib data, whatever the dictionary, the end of line or an endstream inside say', () => {
    const bomb = deflateSync(Buffer.alloc(2048, 0x20));
    expect(() => checkInflatedSize(pdfOf(streamObject('', bomb, '\r')), 1024)).toThrow('inflate past 1024');
    expect(() => checkInflatedSize(pdfOf(streamObject('/Filter /Fl (x obj)', bomb, ' \r\n')), 1024)).toThrow(
      'inflate past 1024',
    );
    // Stored (level 0) deflate keeps "endstream" readable inside the data: zlib, not the keyword, ends the stream.
    const hidden = deflateSync(Buffer.concat([Buffer.from('\nendstream\n'), Buffer.alloc(2048, 0x20)]), { level: 0 });
    expect(() => checkInflatedSize(pdfOf(streamObject('/Filter /FlateDecode', hidden)), 1024)).toThrow(
      'inflate past 1024',
    );
  });

  it('gives images a budget four times as large of their own, and leaves undecodable data to pdf.js', () => {
    const image = (bytes: number) =>
      streamObject('/Type /XObject /Subtype /Image /Filter /FlateDecode', deflateSync(Buffer.alloc(bytes)));
    expect(() => checkInflatedSize(pdfOf(image(4096)), 1024)).not.toThrow();
    expect(() => checkInflatedSize(pdfOf(image(4096), image(1)), 1024)).toThrow(
      'PDF images inflate past 4096 bytes (a compression bomb?)',
    );
    const corrupt = streamObject('/Filter /FlateDecode', Buffer.from([0x78, 0x9c, 1, 2, 3, 4, 5]));
    expect(() => checkInflatedSize(pdfOf(corrupt), 1024)).not.toThrow();
  });

  it('refuses the filters it cannot measure, however spelt, in the file or inside any inflated stream', () => {
    const refusal =
      'PDF uses LZW, run-length or ASCII stream filters, whose output cannot be bounded before reading: not supported';
    for (const filter of ['/LZWDecode', '[/ASCII85Decode /FlateDecode]', '/AHx', '[/Fl /RL]', '/LZW#44ecode']) {
      expect(() => checkInflatedSize(pdfOf(streamObject(`/Filter ${filter}`, Buffer.from('data'))), 1 << 20)).toThrow(
        refusal,
      );
    }
    const objectStream = deflateSync(Buffer.from('5 0 << /Filter [/A85 /Fl] >>'));
    expect(() =>
      checkInflatedSize(
        pdfOf(streamObject('/Type /ObjStm /Subtype /Image /Filter /FlateDecode', objectStream)),
        1 << 20,
      ),
    ).toThrow(refusal);
    // A name that merely starts the same way is another name.
    expect(() => checkInflatedSize(pdfOf(streamObject('/LZWish true', Buffer.from('data'))), 1 << 20)).not.toThrow();
  });

  it(`refuses more than ${MAX_PDF_STREAMS} compressed streams`, () => {
    const tiny = Buffer.concat([Buffer.from('stream\n'), deflateSync(Buffer.from('q'))]);
    const many = Buffer.concat([Buffer.from('%PDF-1.7\n'), ...Array(MAX_PDF_STREAMS + 1).fill(tiny)]);
    expect(() => checkInflatedSize(many, 1 << 20)).toThrow(`PDF has more than ${MAX_PDF_STREAMS} compressed streams`);
  });

  it(`refuses more than ${MAX_BROKEN_STREAMS} streams that do not inflate as malformed`, () => {
    const broken = Buffer.from('stream\n\x78\x9c\x07\x00', 'latin1'); // block type 3: invalid
    const file = Buffer.concat([Buffer.from('%PDF-1.7\n'), ...Array(MAX_BROKEN_STREAMS + 1).fill(broken)]);
    expect(() => checkInflatedSize(file, 1 << 20)).toThrow(
      `PDF is malformed (more than ${MAX_BROKEN_STREAMS} streams do not inflate)`,
    );
  });

  it('allows 16 bytes of streams per character of text, at least 16 MiB', () => {
    expect(inflateBudget(20_000)).toBe(16 * 1024 * 1024);
    expect(inflateBudget(4 * 1024 * 1024)).toBe(64 * 1024 * 1024);
  });
});
