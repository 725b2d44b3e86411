import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { loadConfig } from '../../shared/config.js';
import { syncDocument, type IngestOutcome } from '../../shared/ingest.js';
import { configureModelHub } from '../../shared/models/hub.js';
import { S3DocumentReader, createS3Client } from '../../shared/s3Documents.js';
import { createServices, ingestDeps } from '../../shared/services.js';
import { AppError, BadRequestError } from '../../shared/errors.js';
import { S3EventSchema, decodeS3Key } from '../../shared/s3Event.js';
import { describeZodError } from '../../shared/contract.js';

// Created once per container: models and connections load on the first event, then are reused.
const config = loadConfig();
configureModelHub(config.models);
const logger = new Logger({ serviceName: 'ingest' });
const services = createServices(config);
const s3 = createS3Client({ region: config.store.region, endpoint: config.store.s3Endpoint });

/** Thrown after every record was tried, so Lambda retries the event (ingest is idempotent); keeps each record's error. */
export class IngestFailedError extends AppError {
  readonly statusCode = 500;
  readonly expose = false;
  constructor(
    readonly errors: { key: string; error: unknown }[],
    records: number,
  ) {
    super(`${errors.length} of ${records} record(s) failed: ${errors.map((e) => e.key).join(', ')}`, {
      cause: errors[0]?.error,
    });
  }
}

async function ingestHandler(event: unknown, _context: Context): Promise<{ outcomes: IngestOutcome[] }> {
  const parsed = S3EventSchema.safeParse(event);
  if (!parsed.success) throw new BadRequestError(`not an S3 notification: ${describeZodError(parsed.error)}`);

  const store = await services.store();
  const deps = await ingestDeps(services, config, logger);
  const outcomes: IngestOutcome[] = [];
  const failures: { key: string; error: unknown }[] = [];
  // One record at a time: memory stays bounded and records for the same key apply in order.
  for (const record of parsed.data.Records) {
    const bucket = record.s3.bucket.name;
    const rawKey = record.s3.object.key;
    let key: string;
    try {
      key = decodeS3Key(rawKey);
    } catch {
      // Retrying cannot fix the key: skip this record, keep the others.
      const outcome: IngestOutcome = {
        source: rawKey,
        action: 'skipped',
        reason: `key is not valid URL encoding: ${JSON.stringify(rawKey)}`,
      };
      logger.warn('document skipped', { bucket, event: record.eventName, ...outcome });
      outcomes.push(outcome);
      continue;
    }
    try {
      const outcome = await syncDocument(key, new S3DocumentReader(s3, bucket), deps);
      logger.info('document synced', { bucket, event: record.eventName, ...outcome });
      outcomes.push(outcome);
    } catch (error) {
      logger.error('document failed', { bucket, key, event: record.eventName, error: error as Error });
      failures.push({ key, error });
    }
  }
  // Each write adds fragments; compact once they pile up so queries stay fast.
  if (outcomes.some((o) => o.action === 'indexed' || o.action === 'deleted')) {
    await store
      .optimizeIfFragmented()
      .catch((error: unknown) => logger.warn('optimize skipped', { error: error as Error }));
  }
  if (failures.length > 0) throw new IngestFailedError(failures, parsed.data.Records.length);
  return { outcomes };
}

export const handler = middy(ingestHandler).use(injectLambdaContext(logger));
