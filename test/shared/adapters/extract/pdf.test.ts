import { describe, expect, it } from 'vitest';
import { UnsupportedDocumentError } from '../../../../shared/pipeline/errors.js';
import { extractText } from '../../../../shared/adapters/extract/index.js';
import { makePdf } from '../../../documents.js';

const RULES = { extensions: ['.txt', '.md', '.pdf', '.html', '.htm', '.docx'], maxBytes: 1024 * 1024 };

describe('extractText: PDF', () => {
  it("gives each page's lines in order, pages set off by a blank line, and each page's range in the text", async () => {
    const pdf = makePdf([
      ['Annual report (2024)', 'Revenue grew in every region.'],
      [],
      ['Outlook', 'We expect growth to continue.'],
    ]);
    const { format, text, pages } = await extractText('docs/report.pdf', pdf, RULES);
    expect(format).toBe('pdf');
    expect(text).toBe('Annual report (2024)\nRevenue grew in every region.\n\nOutlook\nWe expect growth to continue.');
    expect(pages).toEqual([
      { page: 1, start: 0, end: 50 },
      { page: 2, start: 50, end: 50 },
      { page: 3, start: 52, end: 89 },
    ]);
    expect(pages!.map(({ start, end }) => text.slice(start, end))).toEqual([
      'Annual report (2024)\nRevenue grew in every region.',
      '',
      'Outlook\nWe expect growth to continue.',
    ]);
  });

  it('reads deflated content streams and Latin-1 text', async () => {
    const pdf = makePdf([['Café society', 'Naïve résumé']], { compress: true });
    const { text, pages } = await extractText('docs/menu.pdf', pdf, RULES);
    expect(text).toBe('Café society\nNaïve résumé');
    expect(pages).toEqual([{ page: 1, start: 0, end: text.length }]);
  });

  it('reads a PDF named .txt as a PDF', async () => {
    const { format, text } = await extractText('docs/renamed.txt', makePdf([['Really a PDF']]), RULES);
    expect({ format, text }).toEqual({ format: 'pdf', text: 'Really a PDF' });
  });

  it('stops at the character limit, counting the page separators', async () => {
    const pdf = makePdf([['12345'], ['67890']]); // "12345\n\n67890": 12 characters
    await expect(extractText('docs/a.pdf', pdf, { ...RULES, maxChars: 12 })).resolves.toMatchObject({
      text: '12345\n\n67890',
    });
    await expect(extractText('docs/a.pdf', pdf, { ...RULES, maxChars: 11 })).rejects.toThrow(
      new UnsupportedDocumentError(
        'document yields more than 11 characters of text; the limit is 11 (MAX_EXTRACTED_CHARS)',
      ),
    );
  });

  it('recovers from a wrong cross-reference offset, as readers do', async () => {
    const pdf = makePdf([['Still readable']]).toString('latin1');
    const broken = Buffer.from(pdf.replace(/startxref\n\d+/, 'startxref\n9'), 'latin1');
    expect((await extractText('docs/damaged.pdf', broken, RULES)).text).toBe('Still readable');
  });

  it('refuses a PDF found by content when .pdf is not an accepted type', async () => {
    const rules = { extensions: ['.txt', '.md'], maxBytes: 1024 * 1024 };
    await expect(extractText('docs/renamed.txt', makePdf([['Text']]), rules)).rejects.toThrow(
      '".txt" file is a PDF; .pdf is not an accepted type',
    );
  });

  it('reads many documents one after another with one loaded pdf.js', async () => {
    const texts = await Promise.all(
      Array.from({ length: 5 }, (_, i) => extractText(`docs/${i}.pdf`, makePdf([[`Document ${i}`]]), RULES)),
    );
    expect(texts.map((t) => t.text)).toEqual(['Document 0', 'Document 1', 'Document 2', 'Document 3', 'Document 4']);
  });
});

describe('extractText: PDF bounds', () => {
  it('skips a small PDF cut before its %%EOF marker', async () => {
    const pdf = makePdf([['Short.']]);
    const cut = pdf.subarray(0, pdf.lastIndexOf('%%EOF'));
    expect(cut.byteLength).toBeLessThan(1024);
    await expect(extractText('docs/cut.pdf', cut, RULES)).rejects.toMatchObject({
      name: 'UnsupportedDocumentError',
      message: 'PDF is truncated (no %%EOF marker at its end)',
    });
  });

  it('stops on one page whose text alone passes the character limit', async () => {
    const pdf = makePdf([Array.from({ length: 40 }, (_, i) => `Line ${i} of a page that goes on and on.`)]);
    await expect(extractText('docs/long-page.pdf', pdf, { ...RULES, maxChars: 500 })).rejects.toMatchObject({
      name: 'UnsupportedDocumentError',
      message: expect.stringContaining('the limit is 500 (MAX_EXTRACTED_CHARS)'),
    });
  });
});
