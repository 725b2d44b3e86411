import { describe, expect, it } from 'vitest';
import { extractText } from '../../../../shared/adapters/extract/index.js';
import { makeDocx, makeZip, wordXml } from '../../../documents.js';

const RULES = { extensions: ['.txt', '.md', '.pdf', '.html', '.htm', '.docx'], maxBytes: 1024 * 1024 };

describe('extractText: Word (.docx)', () => {
  it('gives headings and paragraphs as blocks of their own, tabs kept', async () => {
    const docx = makeDocx([
      { text: 'Quarterly review', style: 'Title' },
      { text: 'Summary', style: 'Heading1' },
      { text: 'Sales rose by 4 % & costs fell.' },
      { text: 'Region:\tNorth' },
      { text: '  Indented <quoted> words.' },
    ]);
    const extracted = await extractText('docs/review.docx', docx, RULES);
    expect(extracted).toEqual({
      format: 'docx',
      text: 'Quarterly review\n\nSummary\n\nSales rose by 4 % & costs fell.\n\nRegion:\tNorth\n\n  Indented <quoted> words.',
    });
  });

  it('gives a table as text rows, cells separated by |', async () => {
    const docx = makeDocx([
      { text: 'Before the table.' },
      {
        table: [
          ['Name', 'Role'],
          ['Ada', 'Engineer'],
          ['Grace', ''],
        ],
      },
      { text: 'After the table.' },
    ]);
    expect((await extractText('docs/team.docx', docx, RULES)).text).toBe(
      'Before the table.\n\nName | Role\nAda | Engineer\nGrace |\n\nAfter the table.',
    );
  });

  it('leaves out deleted revisions, field codes and the fallback copy of a drawing', async () => {
    const extra =
      '<w:p><w:r><w:t xml:space="preserve">Kept </w:t></w:r><w:del><w:r><w:delText>removed </w:delText></w:r></w:del>' +
      '<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText> PAGE </w:instrText></w:r>' +
      '<w:r><w:t>7</w:t></w:r><w:r><w:br/><w:t>next line</w:t></w:r></w:p>' +
      '<w:p><w:r><mc:AlternateContent><mc:Choice Requires="wps"><w:drawing><w:txbxContent><w:p><w:r><w:t>In a text box</w:t></w:r></w:p></w:txbxContent></w:drawing></mc:Choice>' +
      '<mc:Fallback><w:pict><w:txbxContent><w:p><w:r><w:t>In a text box</w:t></w:r></w:p></w:txbxContent></w:pict></mc:Fallback></mc:AlternateContent></w:r></w:p>';
    const docx = makeZip([{ name: 'word/document.xml', data: wordXml([{ text: 'First.' }], extra) }]);
    expect((await extractText('docs/edits.docx', docx, RULES)).text).toBe(
      'First.\n\nKept 7\nnext line\n\nIn a text box',
    );
  });

  it('reads a Word file named .txt as Word, and stored (uncompressed) entries too', async () => {
    const stored = makeZip([{ name: 'word/document.xml', data: wordXml([{ text: 'Stored.' }]), method: 'store' }]);
    expect(await extractText('docs/renamed.txt', stored, RULES)).toEqual({ format: 'docx', text: 'Stored.' });
  });

  it('stops at the character limit while the XML inflates', async () => {
    const docx = makeDocx(Array.from({ length: 100 }, () => ({ text: 'ten chars!' })));
    await expect(extractText('docs/long.docx', docx, { ...RULES, maxChars: 500 })).rejects.toThrow(
      'document yields more than 500 characters of text; the limit is 500 (MAX_EXTRACTED_CHARS)',
    );
  });
});
