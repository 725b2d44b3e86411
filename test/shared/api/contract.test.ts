import { describe, expect, it } from 'vitest';
import { BadRequestError } from '../../../shared/pipeline/errors.js';
import { QueryRequestSchema, QueryResponseSchema } from '../../../shared/api/queryApi.js';
import { parseRequest } from '../../../shared/api/requests.js';

const parse = (payload: unknown) => parseRequest(QueryRequestSchema, payload);
const refusal = (payload: unknown): string => {
  try {
    parse(payload);
  } catch (error) {
    expect(error).toBeInstanceOf(BadRequestError);
    return (error as Error).message;
  }
  throw new Error('accepted');
};

describe('QueryRequestSchema: mode and candidates', () => {
  it.each(['vector', 'fts', 'hybrid'] as const)('accepts mode "%s"', (mode) => {
    expect(parse({ query: 'q', mode })).toEqual({ query: 'q', mode });
  });

  it('refuses another mode, naming the field and the modes there are', () => {
    expect(refusal({ query: 'q', mode: 'bm25' })).toBe(
      "mode: Invalid enum value. Expected 'vector' | 'fts' | 'hybrid', received 'bm25'",
    );
  });

  it('accepts candidates as a boolean and refuses anything else', () => {
    expect(parse({ query: 'q', candidates: true })).toEqual({ query: 'q', candidates: true });
    expect(refusal({ query: 'q', candidates: 'yes' })).toBe('candidates: Expected boolean, received string');
  });
});

describe('QueryResponseSchema: candidates', () => {
  const answer = {
    results: [],
    reranked: true,
    timings: { embed: 1, search: 2, rerank: 3, total: 6 },
  };
  const candidate = {
    id: 'a',
    text: 't',
    source: 's',
    chunk: 0,
    retrievalRank: 1,
    retrievalScore: 0.5,
    offsets: null,
    pages: null,
    metadata: { team: 'eng', year: 2024, draft: false, tags: ['a', 'b'] },
  };

  it('accepts an answer with or without candidates, a candidate unranked (null) or ranked from 1', () => {
    expect(QueryResponseSchema.safeParse(answer).success).toBe(true);
    const ranked = { ...answer, candidates: [{ ...candidate, rerankRank: 1 }] };
    expect(QueryResponseSchema.safeParse(ranked).success).toBe(true);
    const unranked = { ...answer, candidates: [{ ...candidate, rerankRank: null }] };
    expect(QueryResponseSchema.safeParse(unranked).success).toBe(true);
  });

  it('refuses a candidate ranked 0 or without its rerank rank', () => {
    expect(QueryResponseSchema.safeParse({ ...answer, candidates: [{ ...candidate, rerankRank: 0 }] }).success).toBe(
      false,
    );
    expect(QueryResponseSchema.safeParse({ ...answer, candidates: [candidate] }).success).toBe(false);
  });
});
