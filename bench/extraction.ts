import { extractText } from '../shared/adapters/extract/index.js';
import { makeDocx, makeHtml, makePdf } from '../test/documents.js';
import { type BenchRow, time, type Timing } from './stats.js';

export interface ExtractionBenchOptions {
  /** The text the documents are made of (the sample speech), repeated as needed. */
  sample: string;
  /** Measured runs per format. */
  runs: number;
  row: (row: BenchRow) => void;
}

const RULES = {
  extensions: ['.txt', '.pdf', '.html', '.docx'],
  maxBytes: 1e9,
  maxChars: 1e9,
};
const MB = 1e6;
const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

/** The sample's paragraphs, cycled to at least `chars` characters. */
function paragraphs(sample: string, chars: number): string[] {
  const source = sample.split(/\n\s*\n/).filter((p) => p.trim());
  const out: string[] = [];
  for (let i = 0, n = 0; n < chars; i++) {
    const p = source[i % source.length]!.replace(/\s+/g, ' ').trim();
    out.push(p);
    n += p.length;
  }
  return out;
}

/** Lines of about 80 characters, as a page of a report sets them. */
function wrap(text: string, width = 80): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + word.length + 1 > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

/** A report of `count` pages of 45 lines, deflated streams, Helvetica (WinAnsi: typographic quotes and dashes). */
function pdfOf(sample: string, count: number): Buffer {
  const lines = paragraphs(sample, count * 45 * 80)
    .flatMap((p) => wrap(p))
    .map((l) => l.replace(/[’]/g, "'").replace(/[“”]/g, '"').replace(/[–—]/g, '-'));
  const pages = Array.from({ length: count }, (_, i) => lines.slice(i * 45, (i + 1) * 45));
  return makePdf(pages, { compress: true });
}

/** A long article page: sections with headings, paragraphs, a list and a table each, inside the usual boilerplate. */
function htmlOf(sample: string, bytes: number): Buffer {
  const sections: string[] = [];
  const source = paragraphs(sample, bytes);
  for (let i = 0; i < source.length; i += 6) {
    const [a, b, c, d, e, f] = source.slice(i, i + 6);
    sections.push(
      `<section><h2>Section ${i / 6 + 1}</h2><p>${a}</p><p>${b ?? ''}</p><ul><li>${c ?? ''}</li><li>${d ?? ''}</li></ul>` +
        `<table><tr><th>Topic</th><th>Detail</th></tr><tr><td>${i}</td><td>${e ?? ''}</td></tr></table><p>${f ?? ''}</p></section>`,
    );
  }
  return Buffer.from(makeHtml(`<article><h1>The report</h1>${sections.join('\n')}</article>`));
}

function docxOf(sample: string, chars: number): Buffer {
  const blocks = paragraphs(sample, chars).map((text, i) => (i % 8 === 0 ? { text, style: 'Heading1' } : { text }));
  return makeDocx(blocks);
}

/**
 * Extraction throughput of each format next to the plain-text path (decodeText: the cost ingestion had per
 * document before), all through the one entry point ingestion calls: PDF pages/s, HTML and Word MB/s. One
 * thread, documents one at a time, as the ingest function reads them.
 */
export async function benchExtraction(options: ExtractionBenchOptions): Promise<void> {
  // The first PDF loads pdf.js (its cost on a cold container).
  const firstStart = performance.now();
  await extractText('first.pdf', makePdf([['First page.']]), RULES);
  const pdfLoadMs = round(performance.now() - firstStart);

  const text = Buffer.from(paragraphs(options.sample, 2 * MB).join('\n\n'));
  const base = await time(() => extractText('plain.txt', text, RULES), options.runs);
  const baseMBps = text.length / MB / (base.median / 1000);
  const baseline = `${round(baseMBps)} MB/s plain text (${round(text.length / MB, 2)} MB in ${base.median} ms)`;

  const measure = async (name: string, bytes: Buffer) => {
    const extracted = await extractText(name, bytes, RULES);
    const timing: Timing = await time(() => extractText(name, bytes, RULES), options.runs, 1);
    const seconds = timing.median / 1000;
    return {
      timing,
      inMBps: round(bytes.length / MB / seconds),
      textMBps: round(Buffer.byteLength(extracted.text) / MB / seconds),
      pages: extracted.pages?.length,
      bytes: bytes.length,
      textBytes: Buffer.byteLength(extracted.text),
    };
  };
  const ratio = (textMBps: number) => `${round(textMBps / baseMBps, 3)}x of the text path per MB of text`;

  const pdf = await measure('report.pdf', pdfOf(options.sample, 100));
  options.row({
    benchmark: `extraction: PDF (${pdf.pages} pages, ${round(pdf.bytes / MB, 2)} MB, pdf.js)`,
    ours: `${round(pdf.pages! / (pdf.timing.median / 1000))} pages/s (${pdf.timing.median} ms per document, ${pdf.textMBps} MB/s of text); first PDF ${pdfLoadMs} ms with loading pdf.js`,
    baseline,
    ratio: ratio(pdf.textMBps),
    detail: { ...pdf, pdfLoadMs, base },
  });
  const html = await measure('page.html', htmlOf(options.sample, 2 * MB));
  options.row({
    benchmark: `extraction: HTML (${round(html.bytes / MB, 2)} MB page, htmlparser2)`,
    ours: `${html.inMBps} MB/s of HTML (${html.timing.median} ms per document, ${html.textMBps} MB/s of text)`,
    baseline,
    ratio: ratio(html.textMBps),
    detail: { ...html, base },
  });
  const docx = await measure('memo.docx', docxOf(options.sample, MB));
  options.row({
    benchmark: `extraction: Word (${round(docx.bytes / MB, 2)} MB .docx, yauzl + htmlparser2)`,
    ours: `${docx.inMBps} MB/s of .docx (${docx.timing.median} ms per document, ${docx.textMBps} MB/s of text)`,
    baseline,
    ratio: ratio(docx.textMBps),
    detail: { ...docx, base },
  });
}
