import { beforeAll, describe, expect, it } from 'vitest';
import { TransformersEmbedder, l2Normalize } from '../../../../shared/adapters/transformers/embedder.js';
import { configureModelHub } from '../../../../shared/adapters/transformers/hub.js';
import { FIXTURE_MODELS, maxAbsDiff, readReference, type EmbeddingReference } from '../../../helpers.js';

const reference = readReference<EmbeddingReference>('embedding_vectors');
const expected = reference.models['tiny-embed']!;

beforeAll(() => configureModelHub({ dir: FIXTURE_MODELS, allowRemote: false }));

describe('TransformersEmbedder (fp32)', () => {
  let raw: TransformersEmbedder;
  let normalized: TransformersEmbedder;
  beforeAll(async () => {
    raw = await TransformersEmbedder.create({ model: 'tiny-embed', dtype: 'fp32', normalize: false });
    normalized = await TransformersEmbedder.create({ model: 'tiny-embed', dtype: 'fp32', normalize: true });
  });

  it('reproduces Hugging Face mean pooling within 1e-4', async () => {
    const vectors = await raw.embedDocuments(reference.texts);
    vectors.forEach((v, i) => expect(maxAbsDiff(v, expected.torch_mean![i]!)).toBeLessThan(1e-4));
  });

  it('reproduces the normalised vectors within 1e-4, batched in any order', async () => {
    const reversed = [...reference.texts].reverse();
    const vectors = (await normalized.embedDocuments(reversed)).reverse();
    vectors.forEach((v, i) => expect(maxAbsDiff(v, expected.torch_mean_normalized![i]!)).toBeLessThan(1e-4));
  });

  it('reports the model width as its dimension', () => {
    expect(raw.dimension).toBe(expected.torch_mean![0]!.length);
  });

  it('truncates texts over 512 tokens to 510 tokens plus [CLS] and [SEP]', async () => {
    // "economy" is one WordPiece token: 600 of them truncate to exactly the 510 that fit.
    const [long, fitting, oneShort] = await raw.embedDocuments([
      'economy '.repeat(600),
      'economy '.repeat(510),
      'economy '.repeat(509),
    ]);
    expect(maxAbsDiff(long!, fitting!)).toBeLessThan(1e-5);
    expect(maxAbsDiff(fitting!, oneShort!)).toBeGreaterThan(1e-5);
  });

  it('embeds empty and whitespace-only text as the same finite vector', async () => {
    const [empty, spaces] = await raw.embedDocuments(['', ' \n\t ']);
    expect(empty!.every(Number.isFinite)).toBe(true);
    expect(maxAbsDiff(empty!, spaces!)).toBe(0);
  });

  it('lower-cases and strips accents of non-ASCII text as bert-base-uncased does', async () => {
    const [accented, plain, other] = await raw.embedDocuments(['CAFÉ Naïve', 'cafe naive', '東京 economy']);
    expect(maxAbsDiff(accented!, plain!)).toBeLessThan(1e-6);
    expect(maxAbsDiff(plain!, other!)).toBeGreaterThan(1e-3);
  });

  it('returns no vectors for no texts', async () => {
    expect(await raw.embedDocuments([])).toEqual([]);
  });

  it('embeds a query as the same text embedded as a document, without prefixes', async () => {
    const [asDocument] = await raw.embedDocuments([reference.texts[0]!]);
    expect(maxAbsDiff(await raw.embedQuery(reference.texts[0]!), asDocument!)).toBe(0);
  });

  it('prepends the configured query and document prefixes (e5-style instructions)', async () => {
    const e5 = await TransformersEmbedder.create({
      model: 'tiny-embed',
      dtype: 'fp32',
      normalize: false,
      queryPrefix: 'query: ',
      documentPrefix: 'passage: ',
    });
    const [prefixedByHand, passageByHand] = await raw.embedDocuments(['query: what is it', 'passage: what is it']);
    expect(maxAbsDiff(await e5.embedQuery('what is it'), prefixedByHand!)).toBe(0);
    expect(maxAbsDiff((await e5.embedDocuments(['what is it']))[0]!, passageByHand!)).toBe(0);
  });

  it('is a LangChain Embeddings (plain number arrays)', async () => {
    const { Embeddings } = await import('@langchain/core/embeddings');
    expect(raw).toBeInstanceOf(Embeddings);
    expect(Array.isArray(await raw.embedQuery('economy'))).toBe(true);
  });
});

describe('TransformersEmbedder (int8)', () => {
  it('stays within 0.015 of onnxruntime-python int8 on normalised components', async () => {
    // The fixture models' README expects ~0.01; quantised kernels round differently per onnxruntime build.
    const embedder = await TransformersEmbedder.create({ model: 'tiny-embed', dtype: 'int8', normalize: true });
    const vectors = await embedder.embedDocuments(reference.texts);
    vectors.forEach((v, i) => {
      const want = l2Normalize(Float32Array.from(expected.ort_int8_mean![i]!));
      expect(maxAbsDiff(v, want)).toBeLessThan(0.015);
    });
  });
});
