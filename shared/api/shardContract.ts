import { z } from 'zod';
import { MAX_SHARD_PAIRS } from '../pipeline/rerank/shards.js';
import { PairsSchema, ScoreResponseSchema } from './endpointContract.js';

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
