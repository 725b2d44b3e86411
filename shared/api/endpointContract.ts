import { z } from 'zod';

export const PairsSchema = z.array(z.tuple([z.string(), z.string()]));

/**
 * The cross-encoder endpoint contract, the seed's `inference.py`: `{"pairs": [[query, passage], ...]}` →
 * `{"scores": [logit, ...]}` (one raw logit per pair, same order). `{"text_pairs": ...}` is accepted too: it is
 * what LangChain's `SagemakerEndpointCrossEncoder` sends with its default content handler, so the seed's own
 * Python client works unchanged. Both fields at once, or neither, is refused.
 */
export const ScoreRequestSchema = z
  .object({ pairs: PairsSchema.optional(), text_pairs: PairsSchema.optional() })
  .strict()
  .superRefine((body, ctx) => {
    if ((body.pairs === undefined) === (body.text_pairs === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['pairs'], message: 'send exactly one of pairs or text_pairs' });
    } else if ((body.pairs ?? body.text_pairs)!.length === 0) {
      ctx.addIssue({ code: 'custom', path: [body.pairs ? 'pairs' : 'text_pairs'], message: 'pairs must not be empty' });
    }
  })
  .transform((body) => ({ pairs: (body.pairs ?? body.text_pairs)! }));
export type ScoreRequest = z.infer<typeof ScoreRequestSchema>;

export const ScoreResponseSchema = z.object({ scores: z.array(z.number()) }).strict();
export type ScoreResponse = z.infer<typeof ScoreResponseSchema>;

/** Hugging Face Text Embeddings Inference `/rerank`: `{query, texts}` → `[{index, score}]`. */
export const TeiRerankResponseSchema = z.array(z.object({ index: z.number().int().min(0), score: z.number() }));
