import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalS3, type LocalS3 } from '../../../../local/s3Server.js';
import { S3DocumentReader } from '../../../../shared/adapters/s3/s3Documents.js';
import { currentVersion, listVersions } from '../../../../shared/adapters/s3/s3Versions.js';
import type { ObjectVersion } from '../../../../shared/pipeline/ingest/records.js';
import { localS3Client } from '../../../helpers.js';

let s3: LocalS3;
let client: S3Client;
let reader: S3DocumentReader;
const KEYS = [
  'docs/t/a.txt',
  'docs/t/b.txt',
  'docs/t/b.txt.metadata.json',
  'docs/t/c.txt',
  'docs/t/c.txt.metadata.json',
  'docs/t/d.txt',
  // `a.txt-2.txt` sorts between `a.txt` and `a.txt`'s sidecar ('-' before '.').
  'docs/u/a.txt',
  'docs/u/a.txt-2.txt',
  'docs/u/a.txt.metadata.json',
  // The same, with a document past `through` before the sidecar: the listing stops there.
  'docs/v/a.txt',
  'docs/v/a.txt-2.txt',
  'docs/v/a.txt-3.txt',
  'docs/v/a.txt.metadata.json',
];

beforeAll(async () => {
  s3 = await startLocalS3({ buckets: ['documents'] });
  client = await localS3Client(s3);
  reader = new S3DocumentReader(client, 'documents');
  for (const Key of KEYS) await client.send(new PutObjectCommand({ Bucket: 'documents', Key, Body: `body of ${Key}` }));
});

afterAll(async () => {
  client?.destroy();
  await s3?.close();
});

/** A listing's versions alone, by key. */
const versionsByKey = (versions: Map<string, ObjectVersion>) =>
  new Map([...versions].map(([key, v]) => [key, v.version]));

/** The versions the ingest reader reads (its own HEADs), to hold the listing to. */
const readerVersions = async (keys: string[]) =>
  new Map(await Promise.all(keys.map(async (key) => [key, await reader.version(key)] as const)));

describe('S3 versions of documents (local S3)', () => {
  it("lists a range's documents with the versions ingestion reads, sidecars folded in", async () => {
    const { versions, listedTo } = await listVersions(client, 'documents', { prefix: 'docs/t/' });
    const documents = ['docs/t/a.txt', 'docs/t/b.txt', 'docs/t/c.txt', 'docs/t/d.txt'];
    expect(versionsByKey(versions)).toEqual(await readerVersions(documents));
    expect(listedTo).toBeNull();
  });

  it('stops after `through` and its sidecar, and starts after `after`', async () => {
    const { versions, listedTo } = await listVersions(client, 'documents', {
      prefix: 'docs/t/',
      after: 'docs/t/a.txt',
      through: 'docs/t/c.txt',
    });
    expect([...versions.keys()]).toEqual(['docs/t/b.txt', 'docs/t/c.txt']);
    expect(versions.get('docs/t/c.txt')!.version).toBe(await reader.version('docs/t/c.txt'));
    expect(listedTo).toBeNull();
  });

  it('stops after four calls, says where, and asks for a sidecar the listing stopped before', async () => {
    const { versions, listedTo } = await listVersions(client, 'documents', { prefix: 'docs/t/', pageSize: 1 });
    expect(listedTo).toBe('docs/t/c.txt');
    expect([...versions.keys()]).toEqual(['docs/t/a.txt', 'docs/t/b.txt', 'docs/t/c.txt']);
    expect(versions.get('docs/t/c.txt')!.version).toBe(await reader.version('docs/t/c.txt'));
  });

  it("folds in a listed document's sidecar that sorts after `through`'s", async () => {
    const { versions, listedTo } = await listVersions(client, 'documents', {
      prefix: 'docs/u/',
      through: 'docs/u/a.txt-2.txt',
    });
    expect(versionsByKey(versions)).toEqual(await readerVersions(['docs/u/a.txt', 'docs/u/a.txt-2.txt']));
    expect(listedTo).toBeNull();
  });

  it("folds in a sidecar past `through`'s from the listing's next page", async () => {
    const { versions } = await listVersions(client, 'documents', {
      prefix: 'docs/u/',
      through: 'docs/u/a.txt-2.txt',
      pageSize: 2,
    });
    expect(versions.get('docs/u/a.txt')!.version).toBe(await reader.version('docs/u/a.txt'));
  });

  it('asks for the sidecar of a listed document when a document past `through` ends the listing before it', async () => {
    const { versions, listedTo } = await listVersions(client, 'documents', {
      prefix: 'docs/v/',
      through: 'docs/v/a.txt-2.txt',
    });
    expect(versionsByKey(versions)).toEqual(await readerVersions(['docs/v/a.txt', 'docs/v/a.txt-2.txt']));
    expect(listedTo).toBeNull();
  });

  it("answers one document's version, or null once it is gone", async () => {
    expect((await currentVersion(client, 'documents', 'docs/t/b.txt'))?.version).toBe(
      await reader.version('docs/t/b.txt'),
    );
    expect(await currentVersion(client, 'documents', 'docs/t/missing.txt')).toBeNull();
  });
});
