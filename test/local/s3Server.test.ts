import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  paginateListObjectsV2,
  PutObjectCommand,
  S3Client,
  type S3ServiceException,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REQUESTS_PATH, requestClass, type S3RequestCounts } from '../../local/s3Requests.js';
import { encodeEventKey, startLocalS3, type LocalS3, type S3EventNotification } from '../../local/s3Server.js';
import { decodeS3Key } from '../../shared/adapters/s3/s3Event.js';

let s3: LocalS3;
let client: S3Client;

beforeAll(async () => {
  s3 = await startLocalS3({ buckets: ['bucket'] });
  client = new S3Client({
    endpoint: s3.endpoint,
    forcePathStyle: true,
    region: 'us-east-1',
    credentials: s3.credentials,
  });
});
afterAll(async () => {
  client.destroy();
  await s3.close();
});

const put = (Key: string, extra: Partial<ConstructorParameters<typeof PutObjectCommand>[0]> = {}) =>
  client.send(new PutObjectCommand({ Bucket: 'bucket', Key, Body: 'x', ...extra }));

describe('local S3 server', () => {
  it('counts requests per bucket by price class, answered on GET /_local/requests', async () => {
    const counter = await startLocalS3({ buckets: ['counted', 'other'] });
    const counted = new S3Client({
      endpoint: counter.endpoint,
      forcePathStyle: true,
      region: 'us-east-1',
      credentials: counter.credentials,
    });
    try {
      await counted.send(new PutObjectCommand({ Bucket: 'counted', Key: 'a/b.txt', Body: 'x' }));
      await counted.send(new PutObjectCommand({ Bucket: 'counted', Key: 'c.txt', Body: 'y' }));
      await (await counted.send(new GetObjectCommand({ Bucket: 'counted', Key: 'a/b.txt' }))).Body!.transformToString();
      await counted.send(new ListObjectsV2Command({ Bucket: 'counted', Prefix: 'a/' }));
      await counted.send(new DeleteObjectCommand({ Bucket: 'counted', Key: 'c.txt' }));
      await counted.send(new HeadObjectCommand({ Bucket: 'other', Key: 'missing' })).catch(() => undefined);
      const expected = {
        counted: { put: 2, list: 1, get: 1, delete: 1 },
        other: { put: 0, list: 0, get: 1, delete: 0 },
      };
      expect(counter.requests()).toEqual(expected);
      const answered = (await (await fetch(`${counter.endpoint}${REQUESTS_PATH}`)).json()) as S3RequestCounts;
      expect(answered).toEqual(expected);
    } finally {
      counted.destroy();
      await counter.close();
    }
  });

  it('closes while a client keeps sending on its keep-alive connection, which then fails to reach it', async () => {
    const busy = await startLocalS3({ buckets: ['busy'] });
    const sender = new S3Client({
      endpoint: busy.endpoint,
      forcePathStyle: true,
      region: 'us-east-1',
      credentials: busy.credentials,
    });
    let closed = false;
    let failure: unknown = null;
    // As LanceDB's pool does while work is in flight: one request after another on the same connection.
    const sending = (async () => {
      for (let i = 0; !closed && i < 10_000; i++)
        await sender
          .send(new PutObjectCommand({ Bucket: 'busy', Key: `k${i % 10}`, Body: 'x' }))
          .catch((error: unknown) => {
            failure = error;
            closed = true;
          });
    })();
    await sender.send(new HeadObjectCommand({ Bucket: 'busy', Key: 'k0' })).catch(() => undefined);
    await busy.close();
    const wasSending = failure === null;
    closed = true;
    await sending;
    sender.destroy();
    expect(wasSending).toBe(true); // closed with the client still at work, not after it gave up
    await expect(sender.send(new HeadObjectCommand({ Bucket: 'busy', Key: 'k0' }))).rejects.toThrow();
  });

  it('cuts a request still unfinished after the grace instead of waiting for it', async () => {
    const stuck = await startLocalS3({ buckets: ['stuck'] });
    const { port, hostname } = new URL(stuck.endpoint);
    // A PUT whose body never ends: its headers promise 1 MB and only a byte comes.
    const socket = (await import('node:net')).connect(Number(port), hostname);
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write('PUT /stuck/never HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1048576\r\n\r\nx');
    const ended = new Promise((resolve) => socket.once('close', resolve));
    await new Promise((resolve) => setTimeout(resolve, 100));
    await stuck.close();
    await ended; // the server cut the connection
    expect(socket.destroyed).toBe(true);
  }, 20_000);

  it("pages ListObjectsV2 with continuation tokens (s3rver's own need DES, which OpenSSL 3 refuses)", async () => {
    const keys = ['paged/a', 'paged/b', 'paged/c', 'paged/d', 'paged/e'];
    for (const key of keys) await put(key);
    const pages: string[][] = [];
    for await (const page of paginateListObjectsV2({ client }, { Bucket: 'bucket', Prefix: 'paged/', MaxKeys: 2 }))
      pages.push((page.Contents ?? []).map((o) => o.Key!));
    expect(pages).toEqual([['paged/a', 'paged/b'], ['paged/c', 'paged/d'], ['paged/e']]);
  });

  it('pages a delimited listing after its last common prefix, skipping every key under it', async () => {
    for (const key of ['tree/a', 'tree/b.txt', 'tree/b/1', 'tree/b/2', 'tree/c', 'tree/d/1']) await put(key);
    const pages: { keys: string[]; prefixes: string[] }[] = [];
    const request = { Bucket: 'bucket', Prefix: 'tree/', Delimiter: '/', MaxKeys: 2 };
    for await (const page of paginateListObjectsV2({ client }, request))
      pages.push({
        keys: (page.Contents ?? []).map((o) => o.Key!),
        prefixes: (page.CommonPrefixes ?? []).map((p) => p.Prefix!),
      });
    expect(pages).toEqual([
      { keys: ['tree/a', 'tree/b.txt'], prefixes: [] },
      { keys: ['tree/c'], prefixes: ['tree/b/'] },
      { keys: [], prefixes: ['tree/d/'] },
    ]);
  });

  it("lists keys in S3's order, their UTF-8 bytes', not in the order of s3rver's folders, page by page", async () => {
    const keys = ['order/b/1', 'order/b.txt', 'order/a.txt-2.txt', 'order/a.txt', 'order/\u{1F600}', 'order/\uFF21'];
    for (const key of keys) await put(key);
    const pages: string[][] = [];
    for await (const page of paginateListObjectsV2({ client }, { Bucket: 'bucket', Prefix: 'order/', MaxKeys: 4 }))
      pages.push((page.Contents ?? []).map((o) => o.Key!));
    expect(pages).toEqual([
      ['order/a.txt', 'order/a.txt-2.txt', 'order/b.txt', 'order/b/1'],
      ['order/\uFF21', 'order/\u{1F600}'],
    ]);
  });

  it('classes requests as S3 prices them: listings as LIST, subresources and reads as GET, multi-deletes as DELETE', () => {
    expect(requestClass('GET', '/vectors')).toBe('list');
    expect(requestClass('GET', '/vectors/')).toBe('list');
    expect(requestClass('GET', '/vectors/lancedb/chunks.lance/_versions/1.manifest')).toBe('get');
    expect(requestClass('HEAD', '/vectors/key')).toBe('get');
    expect(requestClass('POST', '/vectors/key')).toBe('put');
    expect(requestClass('DELETE', '/vectors/key')).toBe('delete');
    expect(requestClass('GET', '/vectors', 'list-type=2&prefix=lancedb%2F&delimiter=%2F')).toBe('list');
    expect(requestClass('GET', '/vectors', 'location')).toBe('get');
    expect(requestClass('GET', '/vectors/big.bin', 'uploadId=abc')).toBe('list');
    expect(requestClass('POST', '/vectors', 'delete')).toBe('delete');
  });

  it('lists folders that hold only sub-folders as common prefixes', async () => {
    await put('db/table.lance/_versions/1.manifest');
    await put('db/top.txt');
    const listed = await client.send(new ListObjectsV2Command({ Bucket: 'bucket', Prefix: 'db/', Delimiter: '/' }));
    expect(listed.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['db/table.lance/']);
    expect(listed.Contents?.map((c) => c.Key)).toEqual(['db/top.txt']);
  });

  it('answers 412 to a conditional PUT on an existing key', async () => {
    await put('cond/one', { IfNoneMatch: '*' });
    const second = await put('cond/one', { IfNoneMatch: '*' }).catch((e: S3ServiceException) => e);
    expect((second as S3ServiceException).$metadata.httpStatusCode).toBe(412);
  });

  it('lets exactly one of many concurrent conditional PUTs win', async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) => put('cond/race', { IfNoneMatch: '*', Body: String(i) })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
  });

  it('never serves a partly written object while the same key is being overwritten', async () => {
    const versions = ['a', 'b', 'c', 'd'].map((c) => c.repeat(2 * 1024 * 1024));
    await put('atomic/big', { Body: versions[0] });
    const seen = new Set<string>();
    let reading = true;
    const reader = (async () => {
      while (reading) {
        const res = await client.send(new GetObjectCommand({ Bucket: 'bucket', Key: 'atomic/big' }));
        const body = await res.Body!.transformToString();
        // Every read is one whole version: full length, one repeated letter.
        expect(body.length).toBe(2 * 1024 * 1024);
        expect(Number(res.ContentLength)).toBe(body.length);
        seen.add(`${body[0]}${body.at(-1)}`);
      }
    })();
    for (const version of versions.slice(1)) await put('atomic/big', { Body: version });
    reading = false;
    await reader;
    for (const pair of seen) expect(pair[0]).toBe(pair[1]);
  });

  it('fires the created event only once the object reads whole', async () => {
    const body = 'x'.repeat(3 * 1024 * 1024);
    const read = new Promise<number>((resolve) => {
      s3.onEvent((e) => {
        const record = e.Records.find((r) => r.s3.object.key === 'atomic/evented');
        if (!record) return;
        void client
          .send(new GetObjectCommand({ Bucket: 'bucket', Key: 'atomic/evented' }))
          .then((res) => res.Body!.transformToString())
          .then((text) => resolve(text.length));
      });
    });
    await put('atomic/evented', { Body: body });
    expect(await read).toBe(body.length);
  });

  it('emits created events with keys encoded as real S3 encodes them', async () => {
    const emitted = new Promise<S3EventNotification['Records'][number]>((resolve) => {
      s3.onEvent((e) => {
        const record = e.Records.find((r) => r.s3.object.key.startsWith('docs/'));
        if (record) resolve(record);
      });
    });
    await put('docs/my file+1 é.txt');
    const record = await emitted;
    expect(record.eventName).toBe('ObjectCreated:Put');
    expect(record.s3.object.key).toBe('docs/my+file%2B1+%C3%A9.txt');
    expect(decodeS3Key(record.s3.object.key)).toBe('docs/my file+1 é.txt');
  });
});

describe('encodeEventKey', () => {
  it('keeps slashes and encodes spaces as +', () => {
    expect(encodeEventKey('a b/c+d%.txt')).toBe('a+b/c%2Bd%25.txt');
  });
});
