import { GetObjectCommand, NoSuchKey, S3Client } from '@aws-sdk/client-s3';
import type { DocumentReader } from './ingest.js';

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

/** Reads documents from one bucket; a missing key reads as null (the object was deleted). */
export class S3DocumentReader implements DocumentReader {
  readonly #client: S3Client;
  readonly #bucket: string;

  constructor(client: S3Client, bucket: string) {
    this.#client = client;
    this.#bucket = bucket;
  }

  async read(name: string, checkSize: (bytes: number | undefined) => void): Promise<Uint8Array | null> {
    try {
      const response = await this.#client.send(new GetObjectCommand({ Bucket: this.#bucket, Key: name }));
      try {
        checkSize(response.ContentLength);
      } catch (error) {
        // Refuse before the body is downloaded.
        (response.Body as { destroy?: () => void } | undefined)?.destroy?.();
        throw error;
      }
      return (await response.Body?.transformToByteArray()) ?? new Uint8Array();
    } catch (error) {
      if (error instanceof NoSuchKey || (error as { name?: string }).name === 'NoSuchKey') return null;
      throw error;
    }
  }
}
