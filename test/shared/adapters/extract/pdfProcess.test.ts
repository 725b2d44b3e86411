import { createDeflate } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { UnsupportedDocumentError } from '../../../../shared/pipeline/errors.js';
import { extractPdfIsolated } from '../../../../shared/adapters/extract/pdfProcess.js';
import { makePdf } from '../../../documents.js';

/**
 * PDFs read in a child process under a memory limit and a deadline: a PDF that makes pdf.js take too much is
 * skipped with a reason, and the next one is read as usual (the test process itself is the function that lives on).
 */

/** A one-page PDF whose content stream inflates to `mib` MiB of spaces, deflated in pieces (little memory here). */
async function bombPdf(mib: number): Promise<Buffer> {
  const deflate = createDeflate({ level: 9 });
  const parts: Buffer[] = [];
  deflate.on('data', (part: Buffer) => parts.push(part));
  const done = new Promise((resolve) => deflate.on('end', resolve));
  deflate.write(Buffer.from('BT /F1 12 Tf 72 720 Td (A page that inflates.) Tj ET\n', 'latin1'));
  const spaces = Buffer.alloc(1024 * 1024, 0x20);
  for (let i = 0; i < mib; i++) if (!deflate.write(spaces)) await new Promise((r) => deflate.once('drain', r));
  deflate.end();
  await done;
  const data = Buffer.concat(parts);
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [4 0 R] /Count 1 >>',
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents 5 0 R >>',
  ].map((body) => Buffer.from(body, 'latin1'));
  objects.push(
    Buffer.concat([
      Buffer.from(`<< /Length ${data.length} /Filter /FlateDecode >>\nstream\n`),
      data,
      Buffer.from('\nendstream'),
    ]),
  );
  const out: Buffer[] = [Buffer.from('%PDF-1.4\n')];
  let offset = out[0]!.length;
  const offsets = objects.map((body, i) => {
    const at = offset;
    const object = Buffer.concat([Buffer.from(`${i + 1} 0 obj\n`), body, Buffer.from('\nendobj\n')]);
    out.push(object);
    offset += object.length;
    return at;
  });
  const xref = [
    'xref',
    `0 ${objects.length + 1}`,
    '0000000000 65535 f ',
    ...offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n `),
  ];
  out.push(
    Buffer.from(
      `${xref.join('\n')}\ntrailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${offset}\n%%EOF\n`,
    ),
  );
  return Buffer.concat(out);
}

// A text budget above the memory limit, so the stream check lets the bomb through to the child's limit.
const UNCHECKED_CHARS = 64 * 1024 * 1024;

describe('extractPdfIsolated', () => {
  it('reads a PDF in the child: its text and pages', async () => {
    const result = await extractPdfIsolated(makePdf([['Page one'], ['Page two']], { compress: true }), 10_000);
    expect(result).toEqual({
      format: 'pdf',
      text: 'Page one\n\nPage two',
      pages: [
        { page: 1, start: 0, end: 8 },
        { page: 2, start: 10, end: 18 },
      ],
    });
  });

  it('skips a PDF that needs more memory than the limit, and reads the next one', async () => {
    const bomb = await bombPdf(1024);
    const refusal = extractPdfIsolated(bomb, UNCHECKED_CHARS, { memoryMb: 512, timeoutMs: 120_000 });
    await expect(refusal).rejects.toBeInstanceOf(UnsupportedDocumentError);
    await expect(refusal).rejects.toThrow('PDF extraction needed more than 512 MiB of memory (a compression bomb?)');
    const next = await extractPdfIsolated(makePdf([['After the bomb']]), 10_000, { memoryMb: 512, timeoutMs: 120_000 });
    expect(next.text).toBe('After the bomb');
  }, 180_000);

  it('skips a PDF that takes longer than the deadline, and reads the next one', async () => {
    // 2,000 pages of 40 lines: seconds of work, against a tenth of a second.
    const long = makePdf(
      Array.from({ length: 2000 }, (_, p) => Array.from({ length: 40 }, (_, i) => `Page ${p} line ${i}`)),
    );
    const slow = extractPdfIsolated(long, 10_000_000, { memoryMb: 512, timeoutMs: 100 });
    await expect(slow).rejects.toThrow('PDF extraction took longer than 0.1 s');
    const next = await extractPdfIsolated(makePdf([['In time']]), 10_000, { memoryMb: 512, timeoutMs: 120_000 });
    expect(next.text).toBe('In time');
  }, 180_000);
});
