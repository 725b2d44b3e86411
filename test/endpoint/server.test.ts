import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_REQUEST_BYTES, startEndpointServer, type EndpointServer } from '../../endpoint/server.js';
import { silentLog } from '../../shared/log.js';
import { configureModelHub } from '../../shared/models/hub.js';
import { LocalCrossEncoder } from '../../shared/rerank/localCrossEncoder.js';
import { FIXTURE_MODELS, maxAbsDiff, readReference, type CrossEncoderReference } from '../helpers.js';

const reference = readReference<CrossEncoderReference>('cross_encoder_scores');
let server: EndpointServer;

beforeAll(async () => {
  configureModelHub({ dir: FIXTURE_MODELS, allowRemote: false });
  const encoder = await LocalCrossEncoder.create({ model: 'tiny-ce', dtype: 'fp32' });
  server = await startEndpointServer({ encoder, port: 0, log: silentLog });
});
afterAll(() => server.close());

const post = (path: string, body: string) =>
  fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

describe('endpoint server (SageMaker container contract)', () => {
  it('answers GET /ping with 200', async () => {
    const res = await fetch(`${server.url}/ping`);
    expect(res.status).toBe(200);
  });

  it('scores {"pairs"} on /invocations as the seed endpoint does (fp32 within 1e-4)', async () => {
    const res = await post('/invocations', JSON.stringify({ pairs: reference.pairs }));
    expect(res.status).toBe(200);
    const { scores } = (await res.json()) as { scores: number[] };
    expect(maxAbsDiff(scores, reference.models['tiny-ce']!.torch_fp32_batched!)).toBeLessThan(1e-4);
  });

  it('serves the SageMaker runtime path /endpoints/<name>/invocations', async () => {
    const res = await post('/endpoints/my-endpoint/invocations', JSON.stringify({ pairs: [reference.pairs[0]] }));
    expect(res.status).toBe(200);
    expect(((await res.json()) as { scores: number[] }).scores).toHaveLength(1);
  });

  it.each([
    ['malformed JSON', '{"pairs": [', /not valid JSON/],
    ['a missing pairs field', '{"texts": ["a"]}', /pairs/],
    ['an empty pairs list', '{"pairs": []}', /must not be empty/],
    ['a pair that is not two strings', '{"pairs": [["only one"]]}', /pairs/],
    ['a non-string passage', '{"pairs": [["q", 42]]}', /pairs/],
  ])('answers 400 with a JSON error for %s', async (_label, body, message) => {
    const res = await post('/invocations', body);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(message);
  });

  it('answers 413 to a body over 6 MB and stays up', async () => {
    const big = JSON.stringify({ pairs: [['q', 'x'.repeat(MAX_REQUEST_BYTES)]] });
    const res = await post('/invocations', big);
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: string }).error).toMatch(/exceeds/);
    const ping = await fetch(`${server.url}/ping`);
    expect(ping.status).toBe(200);
  });

  it('answers 404 for unknown routes', async () => {
    expect((await fetch(`${server.url}/nope`)).status).toBe(404);
  });
});
