import {
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ServiceException,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeEventKey, startLocalS3, type LocalS3, type S3EventNotification } from '../../local/s3Server.js';
import { decodeS3Key } from '../../functions/ingest/s3Event.js';

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

  it('emits created events with keys encoded as real S3 encodes them', async () => {
    const events: S3EventNotification[] = [];
    s3.onEvent((e) => events.push(e));
    await put('docs/my file+1 é.txt');
    await new Promise((r) => setTimeout(r, 50));
    const record = events.flatMap((e) => e.Records).find((r) => r.s3.object.key.startsWith('docs/'));
    expect(record?.eventName).toBe('ObjectCreated:Put');
    expect(record?.s3.object.key).toBe('docs/my+file%2B1+%C3%A9.txt');
    expect(decodeS3Key(record!.s3.object.key)).toBe('docs/my file+1 é.txt');
  });
});

describe('encodeEventKey', () => {
  it('keeps slashes and encodes spaces as +', () => {
    expect(encodeEventKey('a b/c+d%.txt')).toBe('a+b/c%2Bd%25.txt');
  });
});
