import { beforeAll, describe, expect, it } from 'vitest';
import { configureModelHub } from '../../../../shared/adapters/transformers/hub.js';
import { rerankDocuments, windowDocument } from '../../../../shared/pipeline/rerank/documents.js';
import { LocalCrossEncoder } from '../../../../shared/adapters/transformers/localCrossEncoder.js';
import { FIXTURE_MODELS } from '../../../helpers.js';
import type { CrossEncoder, TokenCounter } from '../../../../shared/pipeline/ports.js';

/** One token per word: windows are then easy to predict by hand. */
const perWord: TokenCounter = { countTokens: (t) => t.split(/\s+/).filter(Boolean).length, maxLength: 512 };
const words = (n: number, word = 'w') => Array.from({ length: n }, (_, i) => `${word}${i}`).join(' ');

describe('windowDocument', () => {
  it('returns a text that fits as it is', () => {
    expect(windowDocument('a short  text', perWord, { windowTokens: 10, maxTokensPerDoc: 100 })).toEqual([
      'a short  text',
    ]);
  });

  it('cuts a long text into consecutive windows of whole words within the window size', () => {
    const windows = windowDocument(words(25), perWord, { windowTokens: 10, maxTokensPerDoc: 100 });
    expect(windows).toEqual([
      words(10),
      words(20).split(' ').slice(10).join(' '),
      words(25).split(' ').slice(20).join(' '),
    ]);
  });

  it('stops after maxTokensPerDoc tokens', () => {
    const windows = windowDocument(words(100), perWord, { windowTokens: 10, maxTokensPerDoc: 30 });
    expect(windows).toHaveLength(3);
    expect(windows.join(' ')).toBe(words(30));
  });
});

describe('rerankDocuments (tiny-ce, fp32)', () => {
  let encoder: LocalCrossEncoder;
  beforeAll(async () => {
    configureModelHub({ dir: FIXTURE_MODELS, allowRemote: false });
    encoder = await LocalCrossEncoder.create({ model: 'tiny-ce', dtype: 'fp32' });
  });
  const query = 'What is the plan for the economy?';

  it('bounds the token count from above without tokenising (WordPiece), for any script', () => {
    const texts = [
      'What is the plan for the economy?',
      'CAFÉ naïve déjà vu — ﬁnance ﬃ ligatures',
      '東京の経済計画 and 한국어 문장입니다 mixed',
      '!!!???...,,,;;;:::((()))',
      'emoji 🎉🚀 and numbers 1234567890',
      'İstanbul ǅ ß ﬀ Ⅻ ㎏',
    ];
    for (const text of texts) expect(encoder.countTokens(text)).toBeLessThanOrEqual(encoder.upperBound(text));
  });

  it('scores a document of about 2,000 tokens by its best window', async () => {
    const filler = 'the weather report mentions clouds and rain over the hills today. '.repeat(160); // ~2,000 tokens
    const passage = 'Our plan for the economy is to lower costs, not wages, and build it from the bottom up.';
    const long = `${filler}${passage} ${filler}`;
    expect(encoder.countTokens(long)).toBeGreaterThan(1900);
    // A scorer whose answer is known: 10 for a window holding the passage's key word, 0 for weather. The document's
    // score must be its best window's, whichever window that is; the real tokenizer cuts the windows.
    const windowsSeen: string[] = [];
    const keyWord: CrossEncoder = {
      name: 'key-word',
      score: async (pairs) => {
        windowsSeen.push(...pairs.map(([, text]) => text));
        return pairs.map(([, text]) => (text.includes('economy') ? 10 : 0));
      },
    };
    const [ranked, weather] = await rerankDocuments(keyWord, encoder, query, [long, filler]);
    expect(windowsSeen.length).toBeGreaterThan(3 + 1);
    expect(ranked).toMatchObject({ index: 0, score: 10 });
    expect(ranked!.relevance).toBeCloseTo(0.9999546021312976, 12); // sigmoid(10)
    expect(weather).toMatchObject({ index: 1, score: 0, relevance: 0.5 });
  });

  it('bounds the work per document with maxTokensPerDoc', async () => {
    const long = 'clouds and rain over the hills. '.repeat(1500);
    let windows = 0;
    await rerankDocuments(encoder, encoder, query, [long], { maxTokensPerDoc: 1000, onWindows: (n) => (windows = n) });
    expect(windows).toBe(2); // ~1,000 tokens in windows of ~500
  });

  it('sorts documents best first, keeps valid indices, and cuts to topN', async () => {
    const docs = ['Inflation is coming down.', 'A story about a cat.', 'We will build the economy from the bottom up.'];
    const ranked = await rerankDocuments(encoder, encoder, query, docs, { topN: 2 });
    expect(ranked).toHaveLength(2);
    const direct = await encoder.score(docs.map((d) => [query, d]));
    const order = direct
      .map((s, i) => [s, i] as const)
      .sort((a, b) => b[0] - a[0])
      .map(([, i]) => i);
    expect(ranked.map((r) => r.index)).toEqual(order.slice(0, 2));
    for (const r of ranked) expect(r.relevance).toBeGreaterThanOrEqual(0);
  });
});
