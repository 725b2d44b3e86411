import type { Pair } from '../ports.js';

/**
 * Most pairs in one shard: a query's candidates (at most 100) or the windows of a rerank API request (1,000
 * documents) fit in far fewer shards; more in one shard means the caller's cut went wrong.
 */
export const MAX_SHARD_PAIRS = 1000;

/** How a candidate set is cut for fan-out. */
export interface ShardPlan {
  /** Most shards scored at once. @default 1 (no fan-out) */
  maxShards: number;
  /** Fewest pairs worth a shard of their own: decides how many shards (below 2× this, one). */
  minPairsPerShard: number;
  /** Most pairs one shard may carry (the scoring function's limit); more shards are cut when needed. @default none */
  maxPairsPerShard?: number;
}

/** One shard: indices into the caller's pairs, in the shard's (length-sorted) order. */
export type Shard = number[];

/** Characters a pair holds: a cheap stand-in for its tokens, which decide its share of the model's work. */
function pairLength([query, passage]: Pair): number {
  return query.length + passage.length;
}

/**
 * Cuts `pairs` into at most `maxShards` shards, as many as hold `minPairsPerShard` pairs each, or returns one shard
 * holding everything when the set is too small to split. Pairs are sorted by length first (ties keep their input
 * order), so each shard pads little, and cut nearest where the running length reaches an equal share: every shard
 * carries about the same number of characters, not the same number of pairs, since long pairs cost more to score.
 * The minimum decides the number of shards, not the cuts (a shard of long pairs holds fewer of them); no shard is
 * empty, and none holds more than `maxPairsPerShard` (which may cut more shards than `maxShards`).
 */
export function cutShards(
  pairs: Pair[],
  { maxShards, minPairsPerShard, maxPairsPerShard = Infinity }: ShardPlan,
): Shard[] {
  const count = Math.max(
    1,
    Math.min(maxShards, Math.floor(pairs.length / Math.max(1, minPairsPerShard))),
    Math.ceil(pairs.length / maxPairsPerShard),
  );
  const order = pairs.map((_, index) => index).sort((a, b) => pairLength(pairs[a]!) - pairLength(pairs[b]!) || a - b);
  if (count === 1) return pairs.length === 0 ? [] : [order];
  const total = order.reduce((sum, i) => sum + pairLength(pairs[i]!), 0);
  const shards: Shard[] = [];
  let current: Shard = [];
  let running = 0;
  for (const index of order) {
    const length = pairLength(pairs[index]!);
    const shardsAfter = count - shards.length - 1;
    // Cut before this pair when the shard is nearer its share of the characters without it than with it, or when
    // it is full. Fewer shards than planned come out when a few long pairs hold most of the characters.
    const share = (total * (shards.length + 1)) / count;
    const nearer = running + length / 2 >= share && shardsAfter > 0;
    const full = current.length >= maxPairsPerShard;
    if (current.length > 0 && (nearer || full)) {
      shards.push(current);
      current = [];
    }
    current.push(index);
    running += length;
  }
  if (current.length > 0) shards.push(current);
  return shards;
}
/**
 * Puts each shard's scores back at their pairs' original positions. Throws when a shard's scores do not match
 * its pairs one for one, or when a position is left without a score.
 */
export function mergeShardScores(total: number, shards: Shard[], scores: number[][]): number[] {
  const merged = new Array<number>(total);
  let filled = 0;
  shards.forEach((shard, s) => {
    const shardScores = scores[s];
    if (!shardScores || shardScores.length !== shard.length) {
      throw new Error(`shard ${s} has ${shardScores?.length ?? 0} scores for ${shard.length} pairs`);
    }
    shard.forEach((index, row) => {
      merged[index] = shardScores[row]!;
      filled++;
    });
  });
  if (filled !== total) throw new Error(`shards cover ${filled} of ${total} pairs`);
  return merged;
}
