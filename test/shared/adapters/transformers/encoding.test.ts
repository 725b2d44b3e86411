import { describe, expect, it } from 'vitest';
import {
  encodePair,
  encodeSingle,
  lengthSortedBatches,
  longestFirstLengths,
  padBatch,
  type EncodingTemplate,
} from '../../../../shared/adapters/transformers/encoding.js';
import { readReference, type CrossEncoderReference } from '../../../helpers.js';

const CLS = 101;
const SEP = 102;
const bert: EncodingTemplate = {
  single: [
    { kind: 'special', id: CLS, typeId: 0 },
    { kind: 'sequence', which: 'A', typeId: 0 },
    { kind: 'special', id: SEP, typeId: 0 },
  ],
  pair: [
    { kind: 'special', id: CLS, typeId: 0 },
    { kind: 'sequence', which: 'A', typeId: 0 },
    { kind: 'special', id: SEP, typeId: 0 },
    { kind: 'sequence', which: 'B', typeId: 1 },
    { kind: 'special', id: SEP, typeId: 1 },
  ],
};

describe('longestFirstLengths', () => {
  it('keeps both sides when they fit', () => {
    expect(longestFirstLengths(10, 20, 30)).toEqual([10, 20]);
  });
  it('cuts only the longer side when the shorter fits in half the budget', () => {
    expect(longestFirstLengths(10, 600, 509)).toEqual([10, 499]);
    expect(longestFirstLengths(600, 10, 509)).toEqual([499, 10]);
  });
  it('halves the budget when both sides are long, the longer side keeping the odd token', () => {
    expect(longestFirstLengths(600, 600, 509)).toEqual([254, 255]);
    expect(longestFirstLengths(700, 600, 509)).toEqual([255, 254]);
    expect(longestFirstLengths(300, 260, 509)).toEqual([255, 254]);
  });
});

describe('encodePair', () => {
  const reference = readReference<CrossEncoderReference>('cross_encoder_scores');

  it('assembles [CLS] A [SEP] B [SEP] like the Hugging Face tokenizer', () => {
    const tokens = reference.tokens[0]!;
    const firstSep = tokens.indexOf(SEP);
    const a = tokens.slice(1, firstSep);
    const b = tokens.slice(firstSep + 1, -1);
    const encoded = encodePair(a, b, bert, 512);
    expect(encoded.inputIds).toEqual(tokens);
    expect(encoded.typeIds).toEqual(tokens.map((_, i) => (i > firstSep ? 1 : 0)));
  });

  it('keeps the final separator when truncating a long passage', () => {
    const a = [1, 2, 3];
    const b = Array.from({ length: 600 }, (_, i) => 1000 + i);
    const encoded = encodePair(a, b, bert, 512);
    expect(encoded.inputIds).toHaveLength(512);
    expect(encoded.inputIds.slice(0, 5)).toEqual([CLS, 1, 2, 3, SEP]);
    expect(encoded.inputIds.at(-1)).toBe(SEP);
    expect(encoded.inputIds.at(-2)).toBe(1000 + 505);
  });

  it('truncates the query when the query is the long side', () => {
    const a = Array.from({ length: 600 }, (_, i) => 1000 + i);
    const b = [7, 8];
    const encoded = encodePair(a, b, bert, 512);
    expect(encoded.inputIds.slice(-4)).toEqual([SEP, 7, 8, SEP]);
    expect(encoded.inputIds).toHaveLength(512);
  });

  it('encodes an empty passage as a pair with an empty second sequence, as the seed’s batched call does', () => {
    expect(encodePair([5, 6], [], bert, 512)).toEqual({ inputIds: [CLS, 5, 6, SEP, SEP], typeIds: [0, 0, 0, 0, 1] });
  });
});

describe('encodeSingle', () => {
  it('cuts content, not the separator, at max length', () => {
    const ids = Array.from({ length: 700 }, (_, i) => i + 1000);
    const encoded = encodeSingle(ids, bert, 512);
    expect(encoded.inputIds).toHaveLength(512);
    expect(encoded.inputIds[0]).toBe(CLS);
    expect(encoded.inputIds[510]).toBe(1509);
    expect(encoded.inputIds[511]).toBe(SEP);
  });
});

describe('padBatch', () => {
  it('pads to the longest row with the pad id and a zero mask', () => {
    const batch = padBatch(
      [
        { inputIds: [1, 2, 3], typeIds: [0, 0, 1] },
        { inputIds: [4], typeIds: [0] },
      ],
      0,
    );
    expect(batch.seqLen).toBe(3);
    expect(Array.from(batch.inputIds)).toEqual([1n, 2n, 3n, 4n, 0n, 0n]);
    expect(Array.from(batch.attentionMask)).toEqual([1n, 1n, 1n, 1n, 0n, 0n]);
    expect(Array.from(batch.tokenTypeIds)).toEqual([0n, 0n, 1n, 0n, 0n, 0n]);
  });
});

describe('lengthSortedBatches', () => {
  it('groups indices of similar length, longest first', () => {
    expect(lengthSortedBatches([5, 100, 7, 90], 2)).toEqual([
      [1, 3],
      [2, 0],
    ]);
  });

  it('keeps a batch within maxBatchTokens padded tokens, so long rows go in smaller batches', () => {
    // Rows are padded to their batch's first (longest) row: 4 × 512 fills 2048 tokens, and short rows that
    // follow a 512-token row cost 512 each; short rows on their own fill the batch size.
    const lengths = [512, 512, 512, 512, 512, 20, 20, 20, 20, 20, 20, 20, 20, 20, 20];
    expect(lengthSortedBatches(lengths, 8, 2048)).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [8, 9, 10, 11, 12, 13, 14],
    ]);
  });

  it('puts a row longer than maxBatchTokens in a batch of its own', () => {
    expect(lengthSortedBatches([600, 10], 8, 500)).toEqual([[0], [1]]);
  });
});
