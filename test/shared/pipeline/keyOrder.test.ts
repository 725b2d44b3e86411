import { describe, expect, it } from 'vitest';
import { compareKeys, sortKeys } from '../../../shared/pipeline/keyOrder.js';

describe("compareKeys: S3's key order (UTF-8 bytes, code points)", () => {
  it('agrees with plain comparison for ASCII and the Basic Multilingual Plane, shorter prefix first', () => {
    expect(sortKeys(['b', 'a/', 'a', 'A', 'é', 'a.txt-2.txt', 'a.txt.metadata.json'])).toEqual([
      'A',
      'a',
      'a.txt-2.txt',
      'a.txt.metadata.json',
      'a/',
      'b',
      'é',
    ]);
    expect(compareKeys('same', 'same')).toBe(0);
  });

  it('puts characters above U+FFFF after U+E000–U+FFFF, as their UTF-8 bytes sort', () => {
    // UTF-8: U+E000 is EE 80 80, U+FFFD is EF BF BD, U+10000 is F0 90 80 80, U+1F600 is F0 9F 98 80.
    expect(sortKeys(['\u{1F600}', '\u{10000}', '\uFFFD', '\uE000', '\uD7FF'])).toEqual([
      '\uD7FF',
      '\uE000',
      '\uFFFD',
      '\u{10000}',
      '\u{1F600}',
    ]);
    expect(compareKeys('x\u{1F600}', 'x\uFF21')).toBeGreaterThan(0);
  });
});
