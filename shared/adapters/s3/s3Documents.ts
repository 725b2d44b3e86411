import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  NotFound,
  S3Client,
} from '@aws-sdk/client-s3';
import { UnsupportedDocumentError } from '../../pipeline/errors.js';
import { METADATA_LIMITS, sidecarOf } from '../../pipeline/metadata.js';
import type { DocumentContent, DocumentReader } from '../../pipeline/ports.js';

export const isMissing = (error: unknown, name: 'NoSuchKey' | 'NotFound') =>
  (name === 'NoSuchKey' ? error instanceof NoSuchKey : error instanceof NotFound) ||
  (error as { name?: string }).name === name;

/** A document's version: its ETag and its sidecar's (`-`: none), so a sidecar change is a new version too. */
export const versionOf = (document: string | undefined, sidecar: string | null | undefined) =>
  `${document ?? ''}|${sidecar ?? '-'}`;

export interface S3ClientSettings {
  region: string;
  /** Override for S3-compatible servers (the local one); path-style addressing is used then. */
  endpoint?: string;
  /** At most this many attempts per request (the SDK's jittered backoff between them). @default 4 */
  maxAttempts?: number;
}

/** One S3 client configuration for the whole project. */
export function createS3Client(settings: S3ClientSettings): S3Client {
  return new S3Client({
    region: settings.region,
    endpoint: settings.endpoint,
    forcePathStyle: settings.endpoint !== undefined,
    maxAttempts: settings.maxAttempts ?? 4,
  });
}

/**
 * Reads documents from one bucket with their metadata (user metadata and the `<key>.metadata.json` sidecar); a
 * missing key reads as null (the object was deleted).
 */
export class S3DocumentReader implements DocumentReader {
  readonly #client: S3Client;
  readonly #bucket: string;

  constructor(client: S3Client, bucket: string) {
    this.#client = client;
    this.#bucket = bucket;
  }

  async read(name: string, checkSize: (bytes: number | undefined) => void): Promise<DocumentContent | null> {
    try {
      const response = await this.#client.send(new GetObjectCommand({ Bucket: this.#bucket, Key: name }));
      try {
        checkSize(response.ContentLength);
      } catch (error) {
        // Refuse before the body is downloaded.
        (response.Body as { destroy?: () => void } | undefined)?.destroy?.();
        throw error;
      }
      const bytes = (await response.Body?.transformToByteArray()) ?? new Uint8Array();
      const sidecar = await this.#sidecar(name);
      // The ETag of exactly the bytes read (one response), then the sidecar's: ingestion checks both after it commits.
      return {
        bytes,
        version: versionOf(response.ETag, sidecar?.version),
        userMetadata: response.Metadata ?? {},
        sidecar: sidecar?.bytes ?? null,
      };
    } catch (error) {
      if (isMissing(error, 'NoSuchKey')) return null;
      throw error;
    }
  }

  /** The document's sidecar, or null; one too large is refused before its body is read. */
  async #sidecar(name: string): Promise<{ bytes: Uint8Array; version: string } | null> {
    try {
      const response = await this.#client.send(new GetObjectCommand({ Bucket: this.#bucket, Key: sidecarOf(name) }));
      if ((response.ContentLength ?? 0) > METADATA_LIMITS.maxSidecarBytes) {
        (response.Body as { destroy?: () => void } | undefined)?.destroy?.();
        throw new UnsupportedDocumentError(
          `metadata sidecar is ${response.ContentLength} bytes; the limit is ${METADATA_LIMITS.maxSidecarBytes}`,
        );
      }
      const bytes = (await response.Body?.transformToByteArray()) ?? new Uint8Array();
      return { bytes, version: response.ETag ?? '' };
    } catch (error) {
      if (isMissing(error, 'NoSuchKey')) return null;
      throw error;
    }
  }

  async version(name: string): Promise<string | null> {
    const etag = async (key: string) => {
      try {
        return (await this.#client.send(new HeadObjectCommand({ Bucket: this.#bucket, Key: key }))).ETag ?? '';
      } catch (error) {
        if (isMissing(error, 'NotFound')) return null;
        throw error;
      }
    };
    const [document, sidecar] = await Promise.all([etag(name), etag(sidecarOf(name))]);
    return document === null ? null : versionOf(document, sidecar);
  }
}

/** Every key under `prefix` in `bucket` (all pages). */
export async function listKeys(client: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys;
}

/** `s3://bucket/prefix` → its parts; throws on anything else. */
export function parseS3Uri(uri: string): { bucket: string; prefix: string } {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!match) throw new Error(`not an s3:// URI: ${uri}`);
  return { bucket: match[1]!, prefix: match[2]! };
}
