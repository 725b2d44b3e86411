import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURE_MODELS, maxAbsDiff, readReference, type CrossEncoderReference } from '../helpers.js';

// What endpoint/Dockerfile runs, without Docker: endpoint/build.sh, then the image's `serve` entrypoint.
const reference = readReference<CrossEncoderReference>('cross_encoder_scores');
const out = mkdtempSync(path.join(os.tmpdir(), 'endpoint-image-'));
const port = 48123;
let server: ChildProcess;
let logs = '';

beforeAll(async () => {
  const build = spawnSync('sh', ['endpoint/build.sh', out], { encoding: 'utf8' });
  if (build.status !== 0) throw new Error(build.stderr);
  server = spawn('sh', [path.join(out, 'serve'), 'serve'], {
    env: {
      PATH: process.env.PATH,
      PROGRAM_DIR: out,
      SM_MODEL_DIR: path.join(FIXTURE_MODELS, 'tiny-ce'), // as SageMaker unpacks model.tar.gz
      RERANKER_DTYPE: 'fp32',
      HOST: '127.0.0.1',
      PORT: String(port),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Resolves on the log line that says the server listens; fails if the server exits or stays silent for 30 s.
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`endpoint did not start within 30 s:\n${logs}`)), 30_000);
    const append = (d: Buffer) => {
      logs += d.toString();
      if (logs.includes('serving on')) {
        clearTimeout(timer);
        resolve();
      }
    };
    server.stdout!.on('data', append);
    server.stderr!.on('data', append);
    server.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`endpoint exited (${code}) before serving:\n${logs}`));
    });
  });
}, 120_000);

afterAll(() => {
  server?.kill('SIGTERM');
  rmSync(out, { recursive: true, force: true });
});

describe('endpoint image (build.sh + serve)', () => {
  it('bundles the server into one file and only the Linux x64 onnxruntime', () => {
    expect(readFileSync(path.join(out, 'endpoint.cjs'), 'utf8').length).toBeGreaterThan(1000);
    const platforms = spawnSync('ls', [path.join(out, 'node_modules/onnxruntime-node/bin/napi-v3')], {
      encoding: 'utf8',
    });
    expect(platforms.stdout.trim()).toBe('linux');
  });

  it('loads the model from the SageMaker model directory and answers /ping', async () => {
    expect(logs).toContain('tiny-ce');
    expect((await fetch(`http://127.0.0.1:${port}/ping`)).status).toBe(200);
  });

  it('scores /invocations like the seed endpoint (fp32 within 1e-4)', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/invocations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ pairs: reference.pairs }),
    });
    const { scores } = (await res.json()) as { scores: number[] };
    expect(maxAbsDiff(scores, reference.models['tiny-ce']!.torch_fp32_batched!)).toBeLessThan(1e-4);
  });

  it('answers 400 to a bad request and keeps serving', async () => {
    const bad = await fetch(`http://127.0.0.1:${port}/invocations`, { method: 'POST', body: '{"pairs": "no"}' });
    expect(bad.status).toBe(400);
    expect((await fetch(`http://127.0.0.1:${port}/ping`)).status).toBe(200);
  });
});
