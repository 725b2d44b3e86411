import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFrontDoor, type FrontDoor } from '../../local/frontDoor.js';
import { startLocalS3, type LocalS3 } from '../../local/s3Server.js';
import { uploadRoute } from '../../local/uploads.js';
import { bearerKey } from '../../shared/api/apiKeys.js';

/** The upload route behind a real front door (with a key check), storing into a real local S3 server. */

const RULES = { extensions: ['.txt', '.md'], maxBytes: 64 };
let s3: LocalS3;
let client: S3Client;
let door: FrontDoor;
let passedThrough = 0;

beforeAll(async () => {
  s3 = await startLocalS3({ buckets: ['documents'] });
  client = new S3Client({
    endpoint: s3.endpoint,
    forcePathStyle: true,
    region: 'us-east-1',
    credentials: s3.credentials,
  });
  door = await startFrontDoor({
    port: 0,
    upstream: () => {
      passedThrough++;
      return null;
    },
    label: 'the functions',
    authorize: (req) => bearerKey(req.headers.authorization) === 'k1',
    handle: uploadRoute({ s3Endpoint: s3.endpoint, bucket: 'documents', prefix: 'docs/', rules: RULES }),
  });
});
afterAll(async () => {
  await door.close();
  client.destroy();
  await s3.close();
});

const auth = { authorization: 'Bearer k1' };
const put = (name: string, body: string | Uint8Array, headers: Record<string, string> = auth) =>
  fetch(`${door.url}/local/uploads/${name}`, { method: 'PUT', body, headers });

async function stored(): Promise<string[]> {
  const listed = await client.send(new ListObjectsV2Command({ Bucket: 'documents' }));
  return (listed.Contents ?? []).map((c) => c.Key!).sort();
}

describe('local uploads (the search page upload box)', () => {
  it('tells its limits: the types and size ingestion accepts, and the prefix', async () => {
    const res = await fetch(`${door.url}/local/uploads`, { headers: auth });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ extensions: ['.txt', '.md'], maxBytes: 64, prefix: 'docs/' });
  });

  it('stores a text file under the prefix in the documents bucket and names its source', async () => {
    const res = await put('notes%20(1).txt', 'Bridges and ports.');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ source: 'docs/notes (1).txt', bytes: 18 });
    const object = await client.send(new GetObjectCommand({ Bucket: 'documents', Key: 'docs/notes (1).txt' }));
    expect(await object.Body!.transformToString()).toBe('Bridges and ports.');
  });

  it('checks the API key before it stores anything', async () => {
    const res = await put('nokey.txt', 'text', {});
    expect(res.status).toBe(401);
    expect(await stored()).not.toContain('docs/nokey.txt');
  });

  it.each([
    ['a type ingestion skips', 'slides.pdf', 'text', 422, 'unsupported file type ".pdf"; accepted: .txt, .md'],
    ['a file over the size limit', 'big.txt', 'x'.repeat(65), 422, 'document is 65 bytes; the limit is 64 bytes'],
    ['a binary file', 'nul.txt', 'a\u0000b', 422, 'document looks binary (contains NUL bytes)'],
    ['a file with no text', 'blank.md', ' \n ', 400, 'the file has no text'],
    ['a name with a folder', 'sub%2Fx.txt', 'text', 400, 'the file name must be a plain name'],
    ['a name climbing out', '..%2Fx.txt', 'text', 400, 'the file name must be a plain name'],
    ['a hidden name', '.env.txt', 'text', 400, 'the file name must be a plain name'],
  ])('refuses %s with its reason and stores nothing', async (_what, name, body, status, message) => {
    const before = await stored();
    const res = await put(name, body);
    expect(res.status).toBe(status);
    expect(((await res.json()) as { error: string }).error).toContain(message);
    expect(await stored()).toEqual(before);
  });

  it('refuses a chunked body once it passes the limit, answering rather than resetting', async () => {
    const url = new URL(`${door.url}/local/uploads/stream.txt`);
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(url, { method: 'PUT', headers: { ...auth, 'transfer-encoding': 'chunked' } }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      });
      req.on('error', reject);
      for (let i = 0; i < 10; i++) req.write('0123456789');
      req.end();
    });
    expect(answer.status).toBe(422);
    expect(JSON.parse(answer.body)).toEqual({ error: 'document is 70 bytes; the limit is 64 bytes' });
    expect(await stored()).not.toContain('docs/stream.txt');
  });

  it('answers 405 to other methods and passes every other path through', async () => {
    const res = await fetch(`${door.url}/local/uploads/x.txt`, { method: 'DELETE', headers: auth });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, PUT');
    const before = passedThrough;
    expect((await fetch(`${door.url}/query`, { method: 'POST', headers: auth })).status).toBe(503);
    expect(passedThrough).toBe(before + 1);
  });

  it('answers 503 with Retry-After, naming no path, when the S3 server is down', async () => {
    const down = await startFrontDoor({
      port: 0,
      upstream: () => null,
      label: 'the functions',
      handle: uploadRoute({ s3Endpoint: 'http://127.0.0.1:9', bucket: 'documents', prefix: 'docs/', rules: RULES }),
    });
    try {
      const res = await fetch(`${down.url}/local/uploads/a.txt`, { method: 'PUT', body: 'text' });
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('1');
      expect(await res.json()).toEqual({ error: 'the local S3 server is not reachable; retry in a few seconds' });
    } finally {
      await down.close();
    }
  });
});
