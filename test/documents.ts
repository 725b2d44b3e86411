import { crc32, deflateRawSync, deflateSync } from 'node:zlib';

/**
 * Small documents of every format ingestion reads, made here with code (no tool, no downloaded file): PDFs
 * written object by object with a correct cross-reference table, zips and Word files written entry by entry.
 * The bad-file matrix breaks them on purpose; the extraction bench makes large ones.
 */

export interface PdfOptions {
  /** Deflate the page content streams, as most producers do. @default false */
  compress?: boolean;
  /** Add an /Encrypt dictionary whose user password is not empty, so a reader needs a password. @default false */
  encrypted?: boolean;
  /** Draw a filled rectangle on every page and write no text (a scan has no text layer either). @default false */
  drawingsOnly?: boolean;
  /** Spaces (no-ops) after each page's text, deflated: a compression bomb of that many bytes. @default 0 */
  inflatedPadding?: number;
}

const escapePdfString = (text: string) => text.replace(/[\\()]/g, (c) => `\\${c}`);

/**
 * A PDF with one page per entry of `pages`, each line of a page shown in Helvetica (WinAnsi, so Latin-1 text
 * such as "café" works) one under the other: `makePdf([['Page one, line one', 'line two'], ['Page two']])`.
 */
export function makePdf(pages: string[][], options: PdfOptions = {}): Buffer {
  const objects: Buffer[] = [];
  const add = (body: string | Buffer) => objects.push(Buffer.isBuffer(body) ? body : Buffer.from(body, 'latin1'));
  add(''); // 1: catalog, written once the page objects are numbered
  add(''); // 2: page tree
  add('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>'); // 3
  const kids: number[] = [];
  for (const lines of pages) {
    const operators = options.drawingsOnly
      ? '0.5 g 72 72 468 648 re f'
      : lines.map((line, i) => `BT /F1 12 Tf 72 ${720 - i * 16} Td (${escapePdfString(line)}) Tj ET`).join('\n');
    const padding = options.inflatedPadding ?? 0;
    const raw = Buffer.concat([Buffer.from(operators, 'latin1'), Buffer.alloc(padding, 0x20)]);
    const compress = options.compress || padding > 0;
    const data = compress ? deflateSync(raw) : raw;
    const filter = compress ? ' /Filter /FlateDecode' : '';
    add(
      Buffer.concat([Buffer.from(`<< /Length ${data.length}${filter} >>\nstream\n`), data, Buffer.from('\nendstream')]),
    );
    const content = objects.length;
    add(
      `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents ${content} 0 R >>`,
    );
    kids.push(objects.length);
  }
  objects[0] = Buffer.from('<< /Type /Catalog /Pages 2 0 R >>');
  objects[1] = Buffer.from(`<< /Type /Pages /Kids [${kids.map((k) => `${k} 0 R`).join(' ')}] /Count ${kids.length} >>`);
  let trailerExtra = '';
  if (options.encrypted) {
    // Revision 2 (RC4, 40-bit): /U is what encrypting the padding with the user password's key gives. Random
    // bytes match no password, the empty one included, so a reader must ask for one.
    add(`<< /Filter /Standard /V 1 /R 2 /O <${'4f'.repeat(32)}> /U <${'55'.repeat(32)}> /P -4 >>`);
    const id = '<00112233445566778899aabbccddeeff>';
    trailerExtra = ` /Encrypt ${objects.length} 0 R /ID [${id} ${id}]`;
  }
  const parts: Buffer[] = [Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n', 'latin1')];
  let offset = parts[0]!.length;
  const offsets: number[] = [];
  for (const [i, body] of objects.entries()) {
    offsets.push(offset);
    const object = Buffer.concat([Buffer.from(`${i + 1} 0 obj\n`), body, Buffer.from('\nendobj\n')]);
    parts.push(object);
    offset += object.length;
  }
  const xref = [
    'xref',
    `0 ${objects.length + 1}`,
    '0000000000 65535 f ',
    ...offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n `),
  ].join('\n');
  parts.push(
    Buffer.from(
      `${xref}\ntrailer\n<< /Size ${objects.length + 1} /Root 1 0 R${trailerExtra} >>\nstartxref\n${offset}\n%%EOF\n`,
    ),
  );
  return Buffer.concat(parts);
}

export interface ZipEntry {
  name: string;
  data: Buffer | string;
  /** @default 'deflate' */
  method?: 'store' | 'deflate';
  /** The uncompressed size the headers declare; a zip bomb lies here. @default the data's length */
  declaredSize?: number;
}

/** A zip archive (local headers, central directory, end record), as Word writes its files. */
export function makeZip(entries: ZipEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const data = Buffer.isBuffer(entry.data) ? entry.data : Buffer.from(entry.data, 'utf8');
    const deflate = (entry.method ?? 'deflate') === 'deflate';
    const stored = deflate ? deflateRawSync(data) : data;
    const name = Buffer.from(entry.name, 'utf8');
    const size = entry.declaredSize ?? data.length;
    const fields = (header: Buffer, at: number) => {
      header.writeUInt16LE(20, at); // version needed
      header.writeUInt16LE(0x0800, at + 2); // UTF-8 names
      header.writeUInt16LE(deflate ? 8 : 0, at + 4);
      header.writeUInt32LE(0, at + 6); // time and date
      header.writeUInt32LE(crc32(data), at + 10);
      header.writeUInt32LE(stored.length, at + 14);
      header.writeUInt32LE(size, at + 18);
      header.writeUInt16LE(name.length, at + 22);
    };
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    fields(local, 4);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4); // version made by
    fields(central, 6);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, stored);
    centrals.push(central, name);
    offset += local.length + name.length + stored.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

/** A block of a Word document: a paragraph (a heading with a heading style) or a table of cell texts. */
export type WordBlock = { text: string; style?: string } | { table: string[][] };

const escapeXml = (text: string) => text.replace(/[<>&]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;' })[c]!);
const W_NS = 'http://schemas.openxmlformats.org/wordprocessingml/2006/main';

function wordParagraph(text: string, style?: string): string {
  const properties = style ? `<w:pPr><w:pStyle w:val="${style}"/></w:pPr>` : '';
  // A tab inside a run, as Word writes one; spaces kept with xml:space="preserve".
  const runs = text
    .split('\t')
    .map((part) => `<w:r><w:t xml:space="preserve">${escapeXml(part)}</w:t></w:r>`)
    .join('<w:r><w:tab/></w:r>');
  return `<w:p>${properties}${runs}</w:p>`;
}

/** The WordprocessingML of a document body, as `word/document.xml` holds it. */
export function wordXml(blocks: WordBlock[], extraBody = ''): string {
  const body = blocks
    .map((block) =>
      'table' in block
        ? `<w:tbl><w:tblPr/>${block.table
            .map((row) => `<w:tr>${row.map((cell) => `<w:tc><w:tcPr/>${wordParagraph(cell)}</w:tc>`).join('')}</w:tr>`)
            .join('')}</w:tbl>`
        : wordParagraph(block.text, block.style),
    )
    .join('');
  return `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:document xmlns:w="${W_NS}" xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"><w:body>${body}${extraBody}<w:sectPr/></w:body></w:document>`;
}

/** A .docx file: content types, package relationships and the main part. */
export function makeDocx(blocks: WordBlock[], extraBody = ''): Buffer {
  return makeZip([
    {
      name: '[Content_Types].xml',
      data: '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
    },
    {
      name: '_rels/.rels',
      data: '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>',
    },
    { name: 'word/document.xml', data: wordXml(blocks, extraBody) },
  ]);
}

/** An HTML page with the usual boilerplate around `main`: head, scripts, styles, navigation, header, footer. */
export function makeHtml(main: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Site title</title><style>body { color: red }</style>
<script>var tracking = "script text";</script></head>
<body>
<header><a href="/">Site logo</a><nav><a href="/a">Menu A</a> <a href="/b">Menu B</a></nav></header>
<main>${main}</main>
<aside>Related links</aside>
<footer>Copyright footer</footer>
<script>document.write("late script")</script>
</body>
</html>`;
}

/** The main part of a Word file whose one run holds `bytes` spaces: 80 MiB deflate to about 80 KB. */
function hugeWordXml(bytes: number): Buffer {
  return Buffer.concat([
    Buffer.from(`<w:document xmlns:w="${W_NS}"><w:body><w:p><w:r><w:t xml:space="preserve">`),
    Buffer.alloc(bytes, 0x20),
    Buffer.from('</w:t></w:r></w:p></w:body></w:document>'),
  ]);
}

/** A hostile or broken file and the reason ingestion gives for skipping it. */
export interface BadFile {
  label: string;
  name: string;
  bytes: Buffer;
  reason: string;
}

/**
 * The bad-file matrix: truncated, malformed, encrypted, textless, bombs, too deep, too long, binary, not UTF-8,
 * empty, too large. Every one is skipped with `reason` under rules with these limits.
 */
export function badFiles(limits: { maxBytes: number; maxChars: number }): BadFile[] {
  const pdf = makePdf(Array.from({ length: 30 }, (_, page) => [`Page ${page + 1} of a report that was cut short.`]));
  const docx = makeDocx([{ text: 'A Word file cut short in transfer.' }]);
  const bomb = hugeWordXml(80 * 1024 * 1024);
  const invalidUtf8Xml = Buffer.concat([
    Buffer.from(`<w:document xmlns:w="${W_NS}"><w:body><w:p><w:r><w:t>caf`),
    Buffer.from([0xe9, 0xff]),
    Buffer.from('</w:t></w:r></w:p></w:body></w:document>'),
  ]);
  const ole2 = Buffer.concat([Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]), Buffer.alloc(504)]);
  const words = Math.ceil(limits.maxChars / 5) + 10;
  // The budget README.md states for PDF streams: 16 bytes per character of text allowed, at least 16 MiB.
  const pdfInflateBudget = Math.max(16 * 1024 * 1024, 16 * limits.maxChars);
  return [
    {
      label: 'a truncated PDF',
      name: 'cut.pdf',
      bytes: pdf.subarray(0, Math.floor(pdf.length * 0.6)),
      reason: 'PDF is truncated (no %%EOF marker at its end)',
    },
    {
      label: 'a PDF with no valid structure',
      name: 'garbled.pdf',
      bytes: Buffer.from(`%PDF-1.7\n${'garbage '.repeat(200)}\n%%EOF\n`),
      reason: 'PDF is malformed (invalid PDF structure)',
    },
    {
      label: 'an encrypted PDF',
      name: 'locked.pdf',
      bytes: makePdf([['Secret minutes']], { encrypted: true }),
      reason: 'PDF is encrypted (it needs a password to open)',
    },
    {
      label: 'a PDF without a text layer',
      name: 'scan.pdf',
      bytes: makePdf([[], []], { drawingsOnly: true }),
      reason: 'PDF has no text layer (scanned pages?); OCR is not supported',
    },
    { label: 'an empty PDF', name: 'empty.pdf', bytes: Buffer.alloc(0), reason: 'document is empty (0 bytes)' },
    {
      label: 'a compression bomb PDF (1 MiB past the inflate budget, in about 1 KB per MiB)',
      name: 'bomb.pdf',
      bytes: makePdf([['A page that inflates.']], { inflatedPadding: pdfInflateBudget + 1024 * 1024 }),
      reason: `PDF streams inflate past ${pdfInflateBudget} bytes (a compression bomb?)`,
    },
    {
      label: 'a zip bomb DOCX (80 MiB of XML in 80 KB, declared)',
      name: 'bomb.docx',
      bytes: makeZip([{ name: 'word/document.xml', data: bomb }]),
      reason: `word/document.xml declares ${bomb.length} bytes uncompressed; the limit is 67108864 (a zip bomb?)`,
    },
    {
      label: 'a zip bomb DOCX that lies about its size',
      name: 'liar.docx',
      bytes: makeZip([{ name: 'word/document.xml', data: bomb, declaredSize: 4096 }]),
      reason: 'word/document.xml inflates past 4096 bytes, its declared size (a zip bomb?)',
    },
    {
      label: 'a truncated DOCX (no zip directory)',
      name: 'cut.docx',
      bytes: docx.subarray(0, docx.length - 30),
      reason:
        'Word document could not be read: End of central directory record signature not found. Either not a zip file, or file is truncated.',
    },
    {
      label: 'a zip without word/document.xml',
      name: 'sheet.docx',
      bytes: makeZip([{ name: 'xl/workbook.xml', data: '<workbook/>' }]),
      reason: 'document is a zip archive without word/document.xml: not a Word document',
    },
    {
      label: 'a legacy Word file renamed .docx',
      name: 'old.docx',
      bytes: ole2,
      reason:
        'document is an OLE2 compound file (a legacy .doc/.xls, or a password-protected Office file): not supported',
    },
    {
      label: 'a DOCX whose XML is not UTF-8',
      name: 'latin1.docx',
      bytes: makeZip([{ name: 'word/document.xml', data: invalidUtf8Xml }]),
      reason: 'Word document could not be read: The encoded data was not valid for encoding utf-8',
    },
    {
      label: 'deeply nested HTML',
      name: 'deep.html',
      bytes: Buffer.from(`<!doctype html><html><body>${'<div>'.repeat(100_000)}deep</body></html>`),
      reason: 'HTML is nested deeper than 512 elements',
    },
    {
      label: 'HTML over the character limit',
      name: 'long.html',
      bytes: Buffer.from(makeHtml(`<p>${'word '.repeat(words)}</p>`)),
      reason: `document yields more than ${limits.maxChars} characters of text; the limit is ${limits.maxChars} (MAX_EXTRACTED_CHARS)`,
    },
    {
      label: 'an HTML page rendered by scripts',
      name: 'app.html',
      bytes: Buffer.from(
        '<!doctype html><html><head><script>render()</script></head><body><div id="app"></div></body></html>',
      ),
      reason: 'HTML page has no readable text (is it rendered by scripts?)',
    },
    {
      label: 'a binary file named .txt',
      name: 'image.txt',
      bytes: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52]),
      reason: 'document looks binary (contains NUL bytes)',
    },
    {
      label: 'a text file that is not UTF-8',
      name: 'latin1.txt',
      bytes: Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x20, 0x21]),
      reason: 'document is not valid UTF-8 text',
    },
    {
      label: 'a file over the size limit',
      name: 'huge.txt',
      bytes: Buffer.alloc(limits.maxBytes + 1, 0x61),
      reason: `document is ${limits.maxBytes + 1} bytes; the limit is ${limits.maxBytes} bytes`,
    },
  ];
}
