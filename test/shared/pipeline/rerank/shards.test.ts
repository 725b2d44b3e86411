import { describe, expect, it } from 'vitest';
import { cutShards, mergeShardScores } from '../../../../shared/pipeline/rerank/shards.js';
import type { Pair } from '../../../../shared/pipeline/ports.js';

/** A pair whose query is 'q' and whose passage has `length` characters: length + 1 characters in all. */
const pairOf = (length: number): Pair => ['q', 'x'.repeat(length)];

describe('cutShards', () => {
  it('returns no shard for no pairs', () => {
    expect(cutShards([], { maxShards: 4, minPairsPerShard: 2 })).toEqual([]);
  });

  it('keeps a set smaller than two shards in one shard, shortest pair first', () => {
    const pairs = [pairOf(5), pairOf(1), pairOf(3)];
    expect(cutShards(pairs, { maxShards: 4, minPairsPerShard: 2 })).toEqual([[1, 2, 0]]);
  });

  it('keeps everything in one shard when fan-out is off (one shard at most)', () => {
    const pairs = Array.from({ length: 10 }, () => pairOf(4));
    expect(cutShards(pairs, { maxShards: 1, minPairsPerShard: 1 })).toEqual([[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]]);
  });

  it('cuts length-sorted pairs nearest an equal share of the characters', () => {
    // Characters 6 2 4 8 3 9 5 7 (44 in all): sorted 2 3 4 5 6 | 7 8 9 is 20 | 24, the cut nearest 22 each.
    const pairs = [5, 1, 3, 7, 2, 8, 4, 6].map(pairOf);
    expect(cutShards(pairs, { maxShards: 2, minPairsPerShard: 2 })).toEqual([
      [1, 4, 2, 6, 0],
      [7, 3, 5],
    ]);
  });

  it('cuts 100 equal pairs into four shards of 25, ties in input order', () => {
    const pairs = Array.from({ length: 100 }, () => pairOf(40));
    const shards = cutShards(pairs, { maxShards: 4, minPairsPerShard: 25 });
    expect(shards.map((s) => s.length)).toEqual([25, 25, 25, 25]);
    expect(shards[0]).toEqual(Array.from({ length: 25 }, (_, i) => i));
    expect(shards[3]).toEqual(Array.from({ length: 25 }, (_, i) => 75 + i));
  });

  it('puts a pair that holds most of the characters in a shard of its own', () => {
    const pairs = [pairOf(100), pairOf(1), pairOf(1), pairOf(1), pairOf(1), pairOf(1)];
    expect(cutShards(pairs, { maxShards: 3, minPairsPerShard: 2 })).toEqual([[1, 2, 3, 4, 5], [0]]);
  });

  it('cuts more shards than maxShards rather than put more than maxPairsPerShard in one', () => {
    const pairs = Array.from({ length: 10 }, () => pairOf(9));
    expect(cutShards(pairs, { maxShards: 1, minPairsPerShard: 1, maxPairsPerShard: 4 })).toEqual([
      [0, 1, 2],
      [3, 4, 5, 6],
      [7, 8, 9],
    ]);
  });

  it('uses fewer shards than allowed when the pairs cannot fill them to their minimum', () => {
    const pairs = Array.from({ length: 60 }, (_, i) => pairOf(i % 7));
    expect(cutShards(pairs, { maxShards: 4, minPairsPerShard: 25 })).toHaveLength(2);
  });

  it('partitions any set: every index once, at most maxShards shards, none empty', () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 16807) % 2147483647; // Park–Miller: the same sets on every run
      return seed / 2147483647;
    };
    for (let trial = 0; trial < 200; trial++) {
      const count = Math.floor(random() * 120);
      const pairs = Array.from({ length: count }, () => pairOf(Math.floor(random() * 600)));
      const plan = { maxShards: 1 + Math.floor(random() * 8), minPairsPerShard: 1 + Math.floor(random() * 30) };
      const shards = cutShards(pairs, plan);
      expect(shards.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: count }, (_, i) => i));
      expect(shards.length).toBeLessThanOrEqual(plan.maxShards);
      for (const shard of shards) expect(shard.length).toBeGreaterThan(0);
      if (count < 2 * plan.minPairsPerShard) expect(shards.length).toBeLessThanOrEqual(1);
      // Within and across shards pairs come shortest first.
      const lengths = shards.flat().map((i) => pairs[i]![1].length);
      expect(lengths).toEqual([...lengths].sort((a, b) => a - b));
    }
  });
});

describe('mergeShardScores', () => {
  it("puts each score back at its pair's original position", () => {
    expect(
      mergeShardScores(
        5,
        [
          [3, 1],
          [0, 4, 2],
        ],
        [
          [0.3, 0.1],
          [0, 0.4, 0.2],
        ],
      ),
    ).toEqual([0, 0.1, 0.2, 0.3, 0.4]);
  });

  it('refuses a shard whose scores do not match its pairs one for one', () => {
    expect(() => mergeShardScores(3, [[0, 1], [2]], [[1, 2, 3], [4]])).toThrow('shard 0 has 3 scores for 2 pairs');
    expect(() => mergeShardScores(3, [[0, 1], [2]], [[1, 2]])).toThrow('shard 1 has 0 scores for 1 pairs');
  });

  it('refuses shards that leave a position without a score', () => {
    expect(() => mergeShardScores(3, [[0, 1]], [[1, 2]])).toThrow('shards cover 2 of 3 pairs');
  });
});
