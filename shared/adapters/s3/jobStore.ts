import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { sha256Hex } from '../../pipeline/ingest/document.js';
import { type IngestionJob, isRunning } from '../../pipeline/ingest/ingestionJobs.js';
import type { JobStore } from '../../pipeline/ports.js';

/** Where ingestion jobs are kept in the vectors bucket: beside the tables, outside the LanceDB folder. */
export const JOBS_PREFIX = 'ingestion-jobs/';

const isStatus = (error: unknown, status: number) =>
  (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === status;

/**
 * Ingestion jobs as JSON objects (`ingestion-jobs/<id>.json`), and one lock object per tenant
 * (`ingestion-jobs/locks/<tenant hash>.json`, naming the job) created with `If-None-Match: *`: two syncs started
 * at once cannot both take it. A lock whose job is finished or stale is taken over.
 */
export class S3JobStore implements JobStore {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
  ) {}

  #jobKey = (id: string) => `${JOBS_PREFIX}${id}.json`;
  #lockKey = (tenant: string | null) => `${JOBS_PREFIX}locks/${sha256Hex(tenant ?? '')}.json`;

  async #read<T>(key: string): Promise<T | null> {
    try {
      const answer = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return JSON.parse(await answer.Body!.transformToString()) as T;
    } catch (error) {
      if (isStatus(error, 404) || (error as Error).name === 'NoSuchKey') return null;
      throw error;
    }
  }

  async #write(key: string, body: unknown, onlyIfAbsent = false): Promise<void> {
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: JSON.stringify(body),
        ContentType: 'application/json',
        ...(onlyIfAbsent ? { IfNoneMatch: '*' } : {}),
      }),
    );
  }

  async start(job: IngestionJob): Promise<{ started: true } | { started: false; running: IngestionJob }> {
    const lock = this.#lockKey(job.tenant);
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        await this.#write(lock, { id: job.id }, true);
        await this.#write(this.#jobKey(job.id), job);
        return { started: true };
      } catch (error) {
        if (!isStatus(error, 412)) throw error;
      }
      const holder = await this.#read<{ id: string }>(lock);
      const running = holder && (await this.get(holder.id));
      if (running && isRunning(running)) return { started: false, running };
      // The lock's job ended without releasing it (crashed, timed out): take it over once.
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: lock }));
    }
    throw new Error('the ingestion job lock was taken twice while starting; retry');
  }

  get(id: string): Promise<IngestionJob | null> {
    return this.#read<IngestionJob>(this.#jobKey(id));
  }

  async save(job: IngestionJob): Promise<void> {
    job.updatedAt = new Date().toISOString();
    await this.#write(this.#jobKey(job.id), job);
  }

  async finish(job: IngestionJob): Promise<void> {
    await this.save(job);
    const lock = this.#lockKey(job.tenant);
    if ((await this.#read<{ id: string }>(lock))?.id === job.id) {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: lock }));
    }
  }
}
