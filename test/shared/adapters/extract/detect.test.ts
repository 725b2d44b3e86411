import { describe, expect, it } from 'vitest';
import { detectFormat } from '../../../../shared/adapters/extract/index.js';
import { makeDocx, makePdf, makeZip } from '../../../documents.js';

const utf8 = (text: string) => Buffer.from(text, 'utf8');

describe('detectFormat', () => {
  it('reads a PDF by its magic bytes whatever the name says', () => {
    const pdf = makePdf([['Text']]);
    expect(detectFormat('report.pdf', pdf)).toBe('pdf');
    expect(detectFormat('report.txt', pdf)).toBe('pdf');
    expect(detectFormat('report.docx', pdf)).toBe('pdf');
  });

  it('finds a PDF header after junk only in a file named .pdf, not in text that quotes one', () => {
    const prefixed = Buffer.concat([Buffer.from('MacBinary junk\n'), makePdf([['Text']])]);
    expect(detectFormat('report.pdf', prefixed)).toBe('pdf');
    expect(detectFormat('notes.md', utf8('PDF files begin with\n%PDF-1.7\nand end with %%EOF.'))).toBe('text');
  });

  it('tells a Word file from another zip and from a legacy Office file', () => {
    expect(detectFormat('letter.txt', makeDocx([{ text: 'Dear reader' }]))).toBe('docx');
    expect(detectFormat('letter.docx', makeZip([{ name: 'xl/workbook.xml', data: '<workbook/>' }]))).toBe('zip');
    const ole2 = Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0]);
    expect(detectFormat('letter.docx', ole2)).toBe('ole');
  });

  it.each([
    ['a doctype', '<!DOCTYPE html><p>Hi</p>'],
    ['an <html> tag after blank lines', '\n\n  <html lang="en"><body>Hi</body></html>'],
    ['a byte-order mark and a comment first', '\ufeff<!-- saved page --><!doctype html><title>x</title>'],
    ['an XML declaration first (XHTML)', '<?xml version="1.0"?>\n<html xmlns="http://www.w3.org/1999/xhtml"></html>'],
  ])('reads HTML by %s whatever the name says', (_label, text) => {
    expect(detectFormat('page.docx', utf8(text))).toBe('html');
    expect(detectFormat('page.txt', utf8(text))).toBe('html');
  });

  it('reads a UTF-16 page with a byte-order mark as HTML', () => {
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('<!doctype html><p>Hi</p>', 'utf16le')]);
    expect(detectFormat('page.html', utf16)).toBe('html');
  });

  it('reads a fragment named .html or .htm as HTML, but Markdown that starts with a tag as text', () => {
    expect(detectFormat('part.html', utf8('<div><p>Hi</p></div>'))).toBe('html');
    expect(detectFormat('PART.HTM', utf8('Just words'))).toBe('html');
    expect(detectFormat('README.md', utf8('<p align="center"><img src="logo.png"></p>\n\n# Title'))).toBe('text');
  });

  it('reads anything else as text (checked as text later)', () => {
    expect(detectFormat('notes.txt', utf8('Plain words.'))).toBe('text');
    expect(detectFormat('notes.pdf', utf8('Not a PDF at all.'))).toBe('text');
    expect(detectFormat('image.txt', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0]))).toBe('text');
  });
});
