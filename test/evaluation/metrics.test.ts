import { describe, expect, it } from 'vitest';
import { hasRelevant, mrrAt, ndcgAt, recallAt, trecOrder } from '../../evaluation/metrics.js';
import { percentile } from '../../evaluation/stats.js';

const judged = (entries: [string, number][]) => new Map(entries);

describe('ndcgAt', () => {
  it('is 1 when the only relevant document is first (binary qrels)', () => {
    expect(ndcgAt(['a', 'b', 'c'], judged([['a', 1]]), 10)).toBe(1);
  });

  it('discounts a relevant document at rank 3 by log2(4) = 2', () => {
    expect(ndcgAt(['x', 'y', 'a'], judged([['a', 1]]), 10)).toBeCloseTo(0.5, 12);
  });

  it('uses linear gain for graded qrels', () => {
    // DCG = 1/log2(2) + 2/log2(3) = 1 + 1.2618595; ideal = 2/1 + 1/log2(3) = 2 + 0.6309298
    const value = ndcgAt(
      ['b', 'a'],
      judged([
        ['a', 2],
        ['b', 1],
      ]),
      10,
    );
    expect(value).toBeCloseTo((1 + 2 / Math.log2(3)) / (2 + 1 / Math.log2(3)), 12);
    expect(value).toBeCloseTo(0.8597186, 6);
  });

  it('counts only the top k', () => {
    const ranked = Array.from({ length: 11 }, (_, i) => `d${i}`);
    expect(ndcgAt(ranked, judged([['d10', 1]]), 10)).toBe(0);
  });

  it('ignores judged-irrelevant (grade 0) documents', () => {
    expect(
      ndcgAt(
        ['z', 'a'],
        judged([
          ['z', 0],
          ['a', 1],
        ]),
        10,
      ),
    ).toBeCloseTo(1 / Math.log2(3), 12);
  });

  it('is 0 for a query without relevant documents', () => {
    expect(ndcgAt(['a'], judged([['a', 0]]), 10)).toBe(0);
  });
});

describe('recallAt and mrrAt', () => {
  const qrels = judged([
    ['a', 1],
    ['b', 1],
    ['c', 1],
    ['d', 1],
  ]);
  it('recall counts relevant documents found in the top k', () => {
    expect(recallAt(['a', 'x', 'b'], qrels, 2)).toBe(0.25);
    expect(recallAt(['a', 'x', 'b'], qrels, 3)).toBe(0.5);
  });
  it('MRR is the reciprocal rank of the first relevant document', () => {
    expect(mrrAt(['x', 'y', 'c'], qrels, 10)).toBeCloseTo(1 / 3, 12);
    expect(mrrAt(['x', 'y', 'c'], qrels, 2)).toBe(0);
  });
});

describe('trecOrder', () => {
  it('breaks score ties by document id descending, whatever the input order', () => {
    const results = [
      { id: 'doc1', score: 0.5 },
      { id: 'doc3', score: 0.5 },
      { id: 'doc2', score: 0.9 },
    ];
    expect(trecOrder(results)).toEqual(['doc2', 'doc3', 'doc1']);
    expect(trecOrder([...results].reverse())).toEqual(['doc2', 'doc3', 'doc1']);
  });

  it('makes tied rankings score the same whichever tie comes first', () => {
    const qrels = judged([['doc1', 1]]);
    const tie = [
      { id: 'doc1', score: 1 },
      { id: 'doc9', score: 1 },
    ];
    // doc9 sorts first: the relevant doc1 sits at rank 2.
    expect(ndcgAt(trecOrder(tie), qrels, 10)).toBeCloseTo(1 / Math.log2(3), 12);
    expect(ndcgAt(trecOrder([...tie].reverse()), qrels, 10)).toBeCloseTo(1 / Math.log2(3), 12);
  });
});

describe('hasRelevant', () => {
  it('is false for unjudged queries and queries judged all-irrelevant', () => {
    expect(hasRelevant(undefined)).toBe(false);
    expect(hasRelevant(judged([['a', 0]]))).toBe(false);
    expect(hasRelevant(judged([['a', 2]]))).toBe(true);
  });
});

describe('percentile', () => {
  it('uses the nearest rank', () => {
    const values = [5, 1, 4, 2, 3, 10, 9, 8, 7, 6];
    expect(percentile(values, 50)).toBe(5);
    expect(percentile(values, 90)).toBe(9);
    expect(percentile(values, 100)).toBe(10);
    expect(percentile([], 50)).toBe(0);
  });
});
