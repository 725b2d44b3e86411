import { describe, expect, it } from 'vitest';
import { openApiDocument } from '../../../shared/api/openapi.js';

type Schema = {
  type?: string;
  enum?: string[];
  properties?: Record<string, Schema>;
  items?: Schema;
  required?: string[];
};
type Document = {
  paths: Record<
    string,
    {
      post: {
        requestBody: { content: { 'application/json': { schema: Schema; example: unknown } } };
        responses: Record<string, { content: { 'application/json': { schema: Schema } } }>;
      };
    }
  >;
};

const query = (openApiDocument() as unknown as Document).paths['/query']!.post;

describe('openApiDocument: POST /query', () => {
  it('publishes the retrieval mode and the candidates flag of the request', () => {
    const { properties } = query.requestBody.content['application/json'].schema;
    expect(properties!.mode).toMatchObject({ type: 'string', enum: ['vector', 'fts', 'hybrid'] });
    expect(properties!.candidates).toMatchObject({ type: 'boolean' });
  });

  it('publishes both filter forms: {"source"} and the Bedrock-style expression', () => {
    const filter = query.requestBody.content['application/json'].schema.properties!.filter as unknown as {
      anyOf: { type: string; description?: string; properties?: Record<string, unknown> }[];
    };
    expect(filter.anyOf).toHaveLength(2);
    expect(Object.keys(filter.anyOf[0]!.properties!)).toEqual(['source']);
    expect(filter.anyOf[1]).toMatchObject({ type: 'object', description: expect.stringContaining('andAll') });
  });

  it('publishes the candidates of the answer with their retrieval and rerank ranks', () => {
    const candidates = query.responses['200']!.content['application/json'].schema.properties!.candidates!;
    expect(candidates.type).toBe('array');
    expect(candidates.items!.required).toEqual(
      expect.arrayContaining(['id', 'source', 'chunk', 'retrievalRank', 'retrievalScore', 'rerankRank']),
    );
  });

  it('shows both new fields in the request example', () => {
    // Written out: the document's example is what a reader copies, so it is checked as a reader sees it.
    expect(query.requestBody.content['application/json'].example).toEqual({
      query: 'What is the plan for the economy?',
      k: 20,
      topN: 3,
      minRelevance: 0,
      group: 'source',
      mode: 'vector',
      candidates: false,
      filter: { startsWith: { key: 'source', value: 'docs/' } },
    });
  });
});
