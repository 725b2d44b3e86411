/**
 * S3 lists keys in the order of their UTF-8 bytes, which is code point order; JavaScript compares strings by UTF-16
 * code units, which differs for characters above U+FFFF (surrogates, D800–DFFF) against those in E000–FFFF. Every
 * comparison that must agree with an S3 listing (paging, cursors, listing ends) goes through compareKeys.
 */

/** A UTF-16 code unit moved so that code units compare in code point order: surrogates above E000–FFFF. */
const inCodePointOrder = (unit: number): number =>
  unit >= 0xe000 ? unit - 0x800 : unit >= 0xd800 ? unit + 0x2000 : unit;

/** Negative, zero or positive as `a` sorts before, with or after `b` in S3's order. */
export function compareKeys(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return inCodePointOrder(x) - inCodePointOrder(y);
  }
  return a.length - b.length;
}

/** Keys sorted as S3 lists them. */
export const sortKeys = (keys: Iterable<string>): string[] => [...keys].sort(compareKeys);
