import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SAMPLE_DOCUMENT, fixtureEnv } from '../helpers.js';

// Uncommon fixed ports: serverless-offline and the S3 server take them from the environment.
const PORTS = { S3_PORT: '45691', HTTP_PORT: '43010', LAMBDA_PORT: '43012', ENDPOINT_PORT: '48091' };
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'stack-'));
let stack: ChildProcess | undefined;
let output = '';

function alive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

afterAll(async () => {
  // SIGTERM lets the stack stop the process group it started; SIGKILL only if it does not.
  if (stack?.pid && alive(stack.pid)) {
    process.kill(-stack.pid, 'SIGTERM');
    await new Promise((r) => setTimeout(r, 3000));
    if (alive(stack.pid)) process.kill(-stack.pid, 'SIGKILL');
  }
  rmSync(dataDir, { recursive: true, force: true });
});

async function until<T>(probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out; output so far:\n${output.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

describe('npm start (local stack)', () => {
  it('serves POST /query, makes an upload searchable within seconds, and stops cleanly', async () => {
    stack = spawn('npm', ['start'], {
      detached: true,
      env: { ...process.env, ...fixtureEnv({ RERANKER_DTYPE: 'fp32' }), ...PORTS, S3_DATA_DIR: dataDir, POWERTOOLS_LOG_LEVEL: 'WARN' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    stack.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    stack.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    await until(async () => (output.includes('Server ready') ? true : undefined), 150_000);

    const key = `docs/sotu-${Date.now()}.txt`;
    const put = await fetch(`http://127.0.0.1:${PORTS.S3_PORT}/documents/${key}`, {
      method: 'PUT',
      body: readFileSync(SAMPLE_DOCUMENT),
    });
    expect(put.status).toBe(200);
    const uploadedAt = Date.now();

    const ask = () =>
      fetch(`http://127.0.0.1:${PORTS.HTTP_PORT}/query`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: 'What is the plan for the economy?', filter: { source: key } }),
      });
    const body = await until(async () => {
      const res = await ask();
      const json = (await res.json()) as { results?: { source: string }[] };
      return json.results && json.results.length === 3 ? json : undefined;
    }, 60_000);
    const searchableAfterMs = Date.now() - uploadedAt;
    expect(body.results!.every((r) => r.source === key)).toBe(true);
    expect(searchableAfterMs).toBeLessThan(30_000);

    const exited = new Promise<void>((resolve) => stack!.on('exit', () => resolve()));
    process.kill(-stack.pid!, 'SIGINT');
    await exited;
    await until(async () => (alive(stack!.pid!) ? undefined : true), 15_000);
    expect(alive(stack.pid!)).toBe(false);
  }, 240_000);
});
