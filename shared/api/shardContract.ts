import { z } from 'zod';
import { PairsSchema, ScoreResponseSchema } from './contract.js';

/**
 * Most pairs in one shard: a query's candidates (at most 100) or the windows of a rerank API request (1,000
 * documents) fit in far fewer shards; more in one shard means the caller's cut went wrong.
 */
export const MAX_SHARD_PAIRS = 1000;

/**
 * What the query and rerank functions send the scoring function (`functions/score`): the pairs of one shard and the
 * moment, in epoch milliseconds, after which nobody waits for the answer, so the scoring function stops there.
 */
export const ShardRequestSchema = z
  .object({
    pairs: PairsSchema.min(1, 'pairs must not be empty').max(MAX_SHARD_PAIRS, `at most ${MAX_SHARD_PAIRS} pairs`),
    deadline: z.number().int().positive(),
  })
  .strict();
export type ShardRequest = z.infer<typeof ShardRequestSchema>;

/** Its answer: one raw logit per pair, in the shard's order (the endpoint contract's response). */
export const ShardResponseSchema = ScoreResponseSchema;
