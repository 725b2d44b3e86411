import { beforeAll, describe, expect, it } from 'vitest';
import { TransformersEmbedder, l2Normalize } from '../../shared/embedder.js';
import { configureModelHub } from '../../shared/models/hub.js';
import { FIXTURE_MODELS, maxAbsDiff, readReference, type EmbeddingReference } from '../helpers.js';

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
    const vectors = await raw.embed(reference.texts);
    vectors.forEach((v, i) => expect(maxAbsDiff(v, expected.torch_mean![i]!)).toBeLessThan(1e-4));
  });

  it('reproduces the normalised vectors within 1e-4, batched in any order', async () => {
    const reversed = [...reference.texts].reverse();
    const vectors = (await normalized.embed(reversed)).reverse();
    vectors.forEach((v, i) => expect(maxAbsDiff(v, expected.torch_mean_normalized![i]!)).toBeLessThan(1e-4));
  });

  it('reports the model width as its dimension', () => {
    expect(raw.dimension).toBe(expected.torch_mean![0]!.length);
  });

  it('truncates texts over 512 tokens to 510 tokens plus [CLS] and [SEP]', async () => {
    // "economy" is one WordPiece token: 600 of them truncate to exactly the 510 that fit.
    const [long, fitting, oneShort] = await raw.embed([
      'economy '.repeat(600),
      'economy '.repeat(510),
      'economy '.repeat(509),
    ]);
    expect(maxAbsDiff(long!, fitting!)).toBeLessThan(1e-5);
    expect(maxAbsDiff(fitting!, oneShort!)).toBeGreaterThan(1e-5);
  });

  it('embeds empty and whitespace-only text as the same finite vector', async () => {
    const [empty, spaces] = await raw.embed(['', ' \n\t ']);
    expect(empty!.every(Number.isFinite)).toBe(true);
    expect(maxAbsDiff(empty!, spaces!)).toBe(0);
  });

  it('lower-cases and strips accents of non-ASCII text as bert-base-uncased does', async () => {
    const [accented, plain, other] = await raw.embed(['CAFÉ Naïve', 'cafe naive', '東京 economy']);
    expect(maxAbsDiff(accented!, plain!)).toBeLessThan(1e-6);
    expect(maxAbsDiff(plain!, other!)).toBeGreaterThan(1e-3);
  });

  it('returns no vectors for no texts', async () => {
    expect(await raw.embed([])).toEqual([]);
  });
});

describe('TransformersEmbedder (int8)', () => {
  it('stays within 0.015 of onnxruntime-python int8 on normalised components', async () => {
    // ../shared/models/README.md expects ~0.01; quantised kernels round differently per onnxruntime build.
    const embedder = await TransformersEmbedder.create({ model: 'tiny-embed', dtype: 'int8', normalize: true });
    const vectors = await embedder.embed(reference.texts);
    vectors.forEach((v, i) => {
      const want = l2Normalize(Float32Array.from(expected.ort_int8_mean![i]!));
      expect(maxAbsDiff(v, want)).toBeLessThan(0.015);
    });
  });
});
