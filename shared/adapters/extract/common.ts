import { UnsupportedDocumentError } from '../../pipeline/errors.js';

/** Counts extracted characters and stops the extraction (a skip, not a crash) once a document yields too many. */
export class CharBudget {
  #used = 0;

  constructor(readonly max: number) {}

  add(chars: number): void {
    this.#used += chars;
    if (this.#used > this.max) {
      throw new UnsupportedDocumentError(
        `document yields more than ${this.max} characters of text; the limit is ${this.max} (MAX_EXTRACTED_CHARS)`,
      );
    }
  }
}

/**
 * Any failure of a parser on a document's bytes as a skip with a reason: a library throws on hostile input in its
 * own ways (TypeErrors, RangeErrors, stream errors), and none of them is worth retrying.
 */
export function unreadable(what: string, error: unknown): UnsupportedDocumentError {
  if (error instanceof UnsupportedDocumentError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const short = message.length > 200 ? `${message.slice(0, 200)}…` : message;
  return new UnsupportedDocumentError(`${what} could not be read: ${short}`, { cause: error });
}

/**
 * Writes extracted text the way a reader sees it: words separated by one space, blocks by line breaks, no
 * leading or trailing blank space. Spaces and breaks are held back until the next word, so markup never
 * leaves runs of blank lines or trailing spaces; every character written is counted against the budget.
 */
export class TextSink {
  readonly #parts: string[] = [];
  #length = 0;
  #lastChar = '';
  #breaks = 0;
  #space = false;

  constructor(private readonly budget: CharBudget) {}

  /** Text as it stands (`collapse: false`: preformatted text, Word runs) or with HTML whitespace collapsed. */
  text(text: string, collapse: boolean): void {
    if (!collapse) {
      if (text) this.#write(text);
      return;
    }
    const collapsed = text.replace(/[ \t\n\r\f]+/g, ' ');
    if (collapsed === ' ') {
      this.#space = true;
      return;
    }
    const start = collapsed.startsWith(' ') ? 1 : 0;
    const trailing = collapsed.endsWith(' ');
    if (start === 1) this.#space = true;
    const word = collapsed.slice(start, trailing ? -1 : undefined);
    if (word) this.#write(word);
    if (trailing) this.#space = true;
  }

  /** A word break before whatever comes next (table cells, paragraphs inside a cell). */
  space(): void {
    this.#space = true;
  }

  /** One line break (`1`) or a blank line (`2`) before whatever comes next; breaks asked for together merge. */
  lineBreak(lines: 1 | 2): void {
    this.#breaks = Math.max(this.#breaks, lines);
  }

  /** A forced line break (`<br>`): two in a row leave a blank line. */
  hardBreak(): void {
    this.#breaks = Math.min(this.#breaks + 1, 2);
  }

  toString(): string {
    return this.#parts.join('');
  }

  #write(text: string): void {
    let prefix = '';
    if (this.#length > 0) {
      if (this.#breaks > 0) prefix = '\n'.repeat(this.#breaks);
      else if (this.#space && !/\s/.test(this.#lastChar)) prefix = ' ';
    }
    this.#breaks = 0;
    this.#space = false;
    const piece = prefix + text;
    this.budget.add(piece.length);
    this.#parts.push(piece);
    this.#length += piece.length;
    this.#lastChar = piece.at(-1)!;
  }
}
