import { describe, expect, it } from 'vitest';
import { extractText } from '../../../../shared/adapters/extract/index.js';
import { makeHtml } from '../../../documents.js';

const RULES = { extensions: ['.txt', '.md', '.pdf', '.html', '.htm', '.docx'], maxBytes: 1024 * 1024 };
const html = async (page: string, name = 'docs/page.html') =>
  (await extractText(name, Buffer.from(page, 'utf8'), RULES)).text;

describe('extractText: HTML', () => {
  it('keeps the readable text and headings, without scripts, styles, navigation, header, footer or sidebar', async () => {
    const page = makeHtml(`
      <h1>Travel   guide</h1>
      <p>Pack <b>light</b> &amp; early.
         Bring a map.</p>
      <h2>Getting there</h2>
      <p>Take the train.<script>alert("inline")</script><style>.x{}</style></p>`);
    expect(await html(page)).toBe(
      'Travel guide\n\nPack light & early. Bring a map.\n\nGetting there\n\nTake the train.',
    );
  });

  it("keeps an article's own header and footer, and leaves out what is hidden or marked as navigation", async () => {
    const page = `<!doctype html><body>
      <article><header><h1>Article title</h1><p>By A. Writer</p></header>
        <p>Body text.</p>
        <div hidden>Hidden</div><div aria-hidden="true">Decoration</div><div style="display: none">Gone</div>
        <div role="navigation">Prev | Next</div><noscript>Enable JavaScript</noscript>
        <footer>Filed under travel</footer></article></body>`;
    expect(await html(page)).toBe('Article title\n\nBy A. Writer\n\nBody text.\n\nFiled under travel');
  });

  it('puts list items and table rows on lines of their own, cells separated by |', async () => {
    const page = `<html><body><ul><li>Tea</li><li>Coffee</li></ul>
      <table><caption>Prices</caption>
        <tr><th>Item</th><th>Price</th></tr>
        <tr><td><p>Tea</p><p>(green)</p></td><td>2 €</td></tr>
        <tr><td>Coffee</td><td></td><td>new</td></tr>
      </table><p>After the table.</p></body></html>`;
    expect(await html(page)).toBe(
      'Tea\nCoffee\n\nPrices\nItem | Price\nTea (green) | 2 €\nCoffee | | new\n\nAfter the table.',
    );
  });

  it('keeps whitespace inside <pre> and breaks lines at <br>', async () => {
    const page =
      '<html><body><p>Line one<br>Line two<br><br>After a blank</p><pre>  indented\n    code</pre></body></html>';
    expect(await html(page)).toBe('Line one\nLine two\n\nAfter a blank\n\n  indented\n    code');
  });

  it('decodes the charset a page declares, and falls back to windows-1252 when the bytes are not UTF-8', async () => {
    const declared = Buffer.from('<html><head><meta charset="iso-8859-1"></head><body>caf\xe9</body></html>', 'latin1');
    expect((await extractText('docs/a.html', declared, RULES)).text).toBe('café');
    const undeclared = Buffer.from('<html><body>\x93quoted\x94</body></html>', 'latin1');
    expect((await extractText('docs/b.html', undeclared, RULES)).text).toBe('\u201cquoted\u201d');
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('<html><body>naïve</body></html>', 'utf16le')]);
    expect((await extractText('docs/c.html', utf16, RULES)).text).toBe('naïve');
  });

  it('reads a fragment named .htm, and an HTML page named .docx or .txt, as HTML', async () => {
    expect(await html('<div>Part <em>of</em> a page</div>', 'docs/part.htm')).toBe('Part of a page');
    const page = makeHtml('<p>Saved from a browser.</p>');
    const asDocx = await extractText('docs/saved.docx', Buffer.from(page), RULES);
    expect(asDocx).toEqual({ format: 'html', text: 'Saved from a browser.' });
    expect(await html(page, 'docs/saved.txt')).toBe('Saved from a browser.');
  });

  it('reads nesting up to the depth limit', async () => {
    const page = `<html><body>${'<div>'.repeat(500)}deep${'</div>'.repeat(500)}</body></html>`;
    expect(await html(page)).toBe('deep');
  });
});
