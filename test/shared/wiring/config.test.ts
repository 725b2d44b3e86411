import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../shared/wiring/config.js';
import { ConfigError } from '../../../shared/pipeline/errors.js';

describe('loadConfig', () => {
  it('applies the local defaults', () => {
    const config = loadConfig({});
    expect(config.embedding).toMatchObject({
      model: 'Xenova/all-MiniLM-L6-v2',
      dtype: 'int8',
      metric: 'cosine',
      normalize: true,
    });
    expect(config.ingest).toMatchObject({
      chunkSize: 500,
      chunkOverlap: 100,
      maxExtractedChars: 4 * 1024 * 1024,
      extensions: ['.txt', '.md', '.pdf', '.html', '.htm', '.docx'],
    });
    expect(config.query).toEqual({ k: 20, topN: 3 });
    expect(config.rerank).toMatchObject({ backend: 'local', failurePolicy: 'error' });
    expect(config.store.uri).toBe('.data/lancedb');
  });

  it('names the variable that is invalid', () => {
    expect(() => loadConfig({ CHUNK_SIZE: 'big' })).toThrow(/CHUNK_SIZE/);
    expect(() => loadConfig({ VECTOR_METRIC: 'manhattan' })).toThrow(/VECTOR_METRIC/);
    expect(() => loadConfig({ ALLOW_REMOTE_MODELS: 'maybe' })).toThrow(ConfigError);
    expect(() => loadConfig({ MAX_EXTRACTED_CHARS: '0' })).toThrow(/MAX_EXTRACTED_CHARS/);
  });

  it('checks relations between variables', () => {
    expect(() => loadConfig({ CHUNK_SIZE: '100', CHUNK_OVERLAP: '100' })).toThrow(/CHUNK_OVERLAP/);
    expect(() => loadConfig({ RERANK_BACKEND: 'sagemaker' })).toThrow(/SAGEMAKER_ENDPOINT_NAME/);
    expect(() => loadConfig({ RETRIEVE_K: '5', TOP_N: '6' })).toThrow(/TOP_N/);
  });

  it("sizes SageMaker requests: 32 pairs, 4 at once by default, at most the endpoint's 1,000 pairs", () => {
    expect(loadConfig({}).rerank).toMatchObject({ pairsPerRequest: 32, concurrency: 4 });
    const local = loadConfig({ SAGEMAKER_PAIRS_PER_REQUEST: '1000', SAGEMAKER_CONCURRENCY: '1' }).rerank;
    expect(local).toMatchObject({ pairsPerRequest: 1000, concurrency: 1 });
    expect(() => loadConfig({ SAGEMAKER_PAIRS_PER_REQUEST: '1001' })).toThrow(/SAGEMAKER_PAIRS_PER_REQUEST/);
    expect(() => loadConfig({ SAGEMAKER_CONCURRENCY: '0' })).toThrow(/SAGEMAKER_CONCURRENCY/);
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ MODELS_DIR: '', RETRIEVE_K: '' }).query.k).toBe(20);
  });

  it('parses booleans and lists', () => {
    const config = loadConfig({ ALLOW_REMOTE_MODELS: 'false', DOCUMENT_EXTENSIONS: '.TXT, .md ,.rst' });
    expect(config.models.allowRemote).toBe(false);
    expect(config.ingest.extensions).toEqual(['.txt', '.md', '.rst']);
  });
});
