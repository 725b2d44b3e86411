import { DeleteObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startLocalS3 } from '../../local/s3Server.js';
import {
  SAMPLE_DOCUMENT,
  fixtureEnv,
  localS3Client,
  localS3Env,
  maxAbsDiff,
  readReference,
  type EmbeddingReference,
} from '../helpers.js';
import { makePdf } from '../documents.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function cli(script: string, args: string[], input?: string) {
  return spawnSync('npx', ['tsx', `cli/${script}.ts`, ...args], {
    encoding: 'utf8',
    input,
    env: { ...process.env, ...fixtureEnv({ RERANKER_DTYPE: 'fp32' }) },
    timeout: 120_000,
  });
}

describe('npm run embed', () => {
  it('prints vectors that match the Hugging Face reference (fp32, normalised)', () => {
    const reference = readReference<EmbeddingReference>('embedding_vectors');
    const result = cli('embed', ['--model', 'tiny-embed', '--dtype', 'fp32'], JSON.stringify(reference.texts));
    expect(result.status).toBe(0);
    const vectors = JSON.parse(result.stdout) as number[][];
    vectors.forEach((v, i) =>
      expect(maxAbsDiff(v, reference.models['tiny-embed']!.torch_mean_normalized![i]!)).toBeLessThan(1e-4),
    );
  });

  it('refuses input that is not a JSON array of strings', () => {
    const result = cli('embed', ['--model', 'tiny-embed'], '{"texts": 1}');
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/JSON array of strings/);
  });
});

describe('npm run ingest and npm run query', () => {
  it('ingests a folder, reports skipped files, finds them unchanged on a second run, and answers a query from it', () => {
    const docs = path.join(work, 'docs');
    mkdirSync(docs);
    copyFileSync(SAMPLE_DOCUMENT, path.join(docs, 'sotu.txt'));
    writeFileSync(path.join(docs, 'notes.md'), '# Notes\n\nThe economy plan is ambitious.');
    writeFileSync(path.join(docs, 'image.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0]));
    const db = path.join(work, 'db');

    const ingest = cli('ingest', [docs, '--db', db]);
    expect(ingest.status).toBe(0);
    expect(ingest.stdout).toMatch(
      /3 document\(s\) in [\d.]+ s: 2 indexed \(\d+ chunks\), 0 unchanged, 0 deleted, 1 skipped, 0 failed/,
    );
    expect(ingest.stdout).toMatch(/skipped .*image\.png: unsupported file type "\.png"/);

    const again = cli('ingest', [docs, '--db', db]);
    expect(again.stdout).toMatch(/0 indexed \(0 chunks\), 2 unchanged, 0 deleted, 1 skipped/);

    const query = cli('query', ['What is the plan for the economy?', '--db', db, '--top-n', '2', '--json']);
    expect(query.status).toBe(0);
    const response = JSON.parse(query.stdout) as { results: { score: number; source: string }[]; reranked: boolean };
    expect(response.reranked).toBe(true);
    expect(response.results).toHaveLength(2);
    expect(response.results[0]!.score).toBeGreaterThanOrEqual(response.results[1]!.score);
  });

  it('rejects an invalid query with the reason', () => {
    // The request is checked before any store is opened: no index is needed.
    const result = cli('query', ['', '--db', path.join(work, 'no-index')]);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/query must not be empty/);
  });
});

/** The CLI in a child process, asynchronously: the local S3 server it talks to runs in this process. */
function cliAsync(script: string, args: string[], env: Record<string, string>) {
  return new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn('npx', ['tsx', `cli/${script}.ts`, ...args], {
      env: { ...process.env, ...fixtureEnv(), ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (status) => resolve({ status, stdout, stderr }));
  });
}

describe('npm run ingest -- --reconcile', () => {
  it('indexes objects the index missed and deletes indexed documents whose object is gone', async () => {
    const s3 = await startLocalS3({ buckets: ['documents', 'vectors'] });
    const client = new S3Client({
      endpoint: s3.endpoint,
      forcePathStyle: true,
      region: 'us-east-1',
      credentials: s3.credentials,
    });
    const env = {
      VECTOR_DB_URI: 's3://vectors/lancedb',
      S3_ENDPOINT: s3.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
    };
    const put = (key: string, body: string) =>
      client.send(new PutObjectCommand({ Bucket: 'documents', Key: key, Body: body }));
    try {
      await put('docs/kept.txt', 'A document that stays.');
      await put('docs/removed.txt', 'A document deleted while no event reached the index.');
      await put('other/outside.txt', 'Not under the reconciled prefix.');
      const first = await cliAsync('ingest', ['--reconcile', 's3://documents/docs/'], env);
      expect(first.status).toBe(0);
      expect(first.stdout).toMatch(
        /2 document\(s\) in [\d.]+ s: 2 indexed \(2 chunks\), 0 unchanged, 0 deleted, 0 skipped, 0 failed/,
      );

      // Events lost: one object deleted, one added, one unchanged.
      await client.send(new DeleteObjectCommand({ Bucket: 'documents', Key: 'docs/removed.txt' }));
      await put('docs/new.txt', 'A document uploaded while the ingest function was down.');
      const second = await cliAsync('ingest', ['--reconcile', 's3://documents/docs/'], env);
      expect(second.status).toBe(0);
      expect(second.stdout).toMatch(
        /3 document\(s\) in [\d.]+ s: 1 indexed \(1 chunks\), 1 unchanged, 1 deleted, 0 skipped, 0 failed .*\(2 chunks in total\)/,
      );
    } finally {
      client.destroy();
      await s3.close();
    }
  });

  it('lists failed documents with their reasons, redrives them once fixed, shows one with its chunks and deletes one', async () => {
    const s3 = await startLocalS3({ buckets: ['documents', 'vectors'] });
    const client = await localS3Client(s3);
    const env = localS3Env(s3);
    const put = (key: string, body: string | Buffer) =>
      client.send(new PutObjectCommand({ Bucket: 'documents', Key: key, Body: body }));
    try {
      await put('docs/good.txt', 'A good document.');
      await put('docs/broken.pdf', '%PDF-1.7 cut short');
      const first = await cliAsync('ingest', ['--reconcile', 's3://documents/docs/'], env);
      expect(first.stdout).toMatch(/1 indexed \(1 chunks\), 0 unchanged, 0 deleted, 1 skipped/);
      const failed = await cliAsync('documents', ['list', '--status', 'failed'], env);
      expect(failed.status).toBe(0);
      expect(failed.stdout).toMatch(/^failed\s+0 chunks {2}docs\/broken\.pdf {2}\(.*PDF.*\)\n$/i);

      await put('docs/broken.pdf', makePdf([['Mended at last.']]));
      const redrive = await cliAsync('ingest', ['--redrive'], env);
      expect(redrive.status).toBe(0);
      expect(redrive.stdout).toMatch(/^1 document\(s\) in [\d.]+ s: 1 indexed \(1 chunks\), 0 unchanged/);
      const all = await cliAsync('documents', ['list', '--json'], env);
      expect((JSON.parse(all.stdout) as { source: string; status: string }[]).map((d) => [d.source, d.status])).toEqual(
        [
          ['docs/broken.pdf', 'indexed'],
          ['docs/good.txt', 'indexed'],
        ],
      );
      const show = await cliAsync('documents', ['show', 'docs/broken.pdf', '--chunks'], env);
      expect(show.stdout).toContain('status       "indexed"');
      expect(show.stdout).toContain('[chunk 0]\nMended at last.');

      const removed = await cliAsync('documents', ['delete', 'docs/good.txt'], env);
      expect(removed.stdout).toBe(
        'deleting docs/good.txt: removed from s3://documents; its event removes the chunks\n',
      );
      await expect(client.send(new HeadObjectCommand({ Bucket: 'documents', Key: 'docs/good.txt' }))).rejects.toThrow();
      const unknown = await cliAsync('documents', ['show', 'docs/none.txt'], env);
      expect([unknown.status, unknown.stderr]).toEqual([1, 'error: no document docs/none.txt\n']);
      const bad = await cliAsync('documents', ['show', 'docs/../etc.txt'], env);
      expect(bad.stderr).toBe('error: document key holds a "." or ".." segment\n');
    } finally {
      client.destroy();
      await s3.close();
    }
  });

  it('refuses a target that is not an s3:// URI', () => {
    const result = cli('ingest', ['--reconcile', '/tmp/folder']);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/not an s3:\/\/ URI: \/tmp\/folder/);
  });
});
