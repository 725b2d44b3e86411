import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { loadConfig } from '../../shared/wiring/config.js';
import { AppError, BadRequestError } from '../../shared/pipeline/errors.js';
import { syncDocuments } from '../../shared/pipeline/ingest/ingest.js';
import { documentKeyOf } from '../../shared/pipeline/metadata.js';
import { configureModelHub } from '../../shared/adapters/transformers/hub.js';
import { S3DocumentReader, createS3Client } from '../../shared/adapters/s3/s3Documents.js';
import {
  S3EventSchema,
  decodeS3Key,
  documentKeysOf,
  isS3TestEvent,
  type S3EventNotification,
} from '../../shared/adapters/s3/s3Event.js';
import { createServices, ingestDeps } from '../../shared/wiring/services.js';
import { observability } from '../observability.js';
import { isJobInvocation } from '../../shared/adapters/lambda/jobLauncher.js';
import { runIngestionJob } from './job.js';
import { markGivenUp } from '../../shared/pipeline/ingest/statuses.js';
import { describeZodError } from '../../shared/api/requests.js';
import type { IngestOutcome, SyncResult } from '../../shared/pipeline/ingest/batchCommit.js';

// Created once per container: models and connections load on the first event, then are reused.
const config = loadConfig();
configureModelHub(config.models);
const { logger, metrics, middlewares } = observability('ingest');
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

/** A document of the batch: its bucket and decoded key, or why its key cannot be read (a skip, never retried). */
type DocumentRef = { bucket: string; key: string } | { bucket: string; rawKey: string; skipped: IngestOutcome };

function documentsOf(notification: S3EventNotification): DocumentRef[] {
  return documentKeysOf(notification).map(({ bucket, rawKey }) => {
    try {
      return { bucket, key: decodeS3Key(rawKey) };
    } catch {
      const reason = `key is not valid URL encoding: ${JSON.stringify(rawKey)}`;
      return { bucket, rawKey, skipped: { source: rawKey, action: 'skipped', reason } };
    }
  });
}

/**
 * Time a document may take and the batch's commit, check and compaction after it: no new document starts with
 * less left (a 4 MiB text, ~10,000 chunks, embeds in about 150 s at the measured rate).
 */
const RESERVE_MS = 240_000;
const outOfTime = (context: Context) =>
  typeof context.getRemainingTimeInMillis === 'function' && context.getRemainingTimeInMillis() < RESERVE_MS;

/** Where a record's result is found: its document's (a sidecar's event syncs the document it describes). */
const refKey = (ref: DocumentRef) => `${ref.bucket}/${'key' in ref ? documentKeyOf(ref.key) : ref.rawKey}`;

/** Counts of the batch as CloudWatch metrics: documents by outcome, chunks written, commit retries. */
function recordMetrics(
  target: Metrics,
  results: SyncResult[],
  writes: { commits: number; commitRetries: number },
): void {
  const count = (action: SyncResult['action']) => results.filter((r) => r.action === action).length;
  target.addMetric('documentsIndexed', MetricUnit.Count, count('indexed'));
  target.addMetric('documentsDeleted', MetricUnit.Count, count('deleted'));
  target.addMetric('documentsMetadataApplied', MetricUnit.Count, count('metadata'));
  target.addMetric('documentsUnchanged', MetricUnit.Count, count('unchanged'));
  target.addMetric('documentsSkipped', MetricUnit.Count, count('skipped'));
  target.addMetric('documentsFailed', MetricUnit.Count, count('failed'));
  const chunks = results.reduce((n, r) => n + (r.action === 'indexed' ? r.chunks : 0), 0);
  target.addMetric('chunksWritten', MetricUnit.Count, chunks);
  target.addMetric('commits', MetricUnit.Count, writes.commits);
  target.addMetric('commitRetries', MetricUnit.Count, writes.commitRetries);
}

/**
 * Syncs every document of the batch together (one hash lookup, one commit, compaction once fragments pile up, so
 * queries stay fast while a bulk upload runs) and returns each one's result by bucket and key.
 */
async function syncBatch(refs: DocumentRef[], context: Context): Promise<Map<string, SyncResult>> {
  const store = await services.store();
  const deps = await ingestDeps(services, config, logger);
  const before = { ...store.writeStats };
  const results = new Map<string, SyncResult>();
  for (const ref of refs) {
    if ('skipped' in ref) {
      logger.warn('document skipped', { bucket: ref.bucket, ...ref.skipped });
      results.set(refKey(ref), ref.skipped);
    }
  }
  const buckets = new Set(refs.flatMap((r) => ('key' in r ? [r.bucket] : [])));
  for (const bucket of buckets) {
    const keys = refs.flatMap((r) => ('key' in r && r.bucket === bucket ? [r.key] : []));
    const reader = new S3DocumentReader(s3, bucket);
    for (const result of await syncDocuments(keys, reader, deps, { outOfTime: () => outOfTime(context) })) {
      if (result.action === 'failed')
        logger.error('document failed', { bucket, key: result.source, error: result.error as Error });
      else logger.info('document synced', { bucket, ...result });
      results.set(`${bucket}/${result.source}`, result);
    }
  }
  const all = [...results.values()];
  recordMetrics(metrics, all, {
    commits: store.writeStats.commits - before.commits,
    commitRetries: store.writeStats.commitRetries - before.commitRetries,
  });
  return results;
}

/** The S3 notification an SQS message carries; null for S3's test message (sent when notifications are set up). */
function notificationOf(record: SQSRecord): S3EventNotification | null {
  let body: unknown;
  try {
    body = JSON.parse(record.body);
  } catch {
    throw new BadRequestError('message body is not JSON');
  }
  if (isS3TestEvent(body)) return null;
  const parsed = S3EventSchema.safeParse(body);
  if (!parsed.success)
    throw new BadRequestError(`message is not an S3 notification: ${describeZodError(parsed.error)}`);
  return parsed.data;
}

/**
 * SQS batch (S3 → queue → this function): the whole batch is synced together, then each message succeeds or
 * fails on its own documents' results, so only failed messages return to the queue (ReportBatchItemFailures)
 * and, after the queue's maxReceiveCount, land in its dead-letter queue. A malformed message fails alone.
 */
async function ingestQueueBatch(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
  const messages = new Map<string, DocumentRef[] | Error>();
  for (const record of event.Records) {
    try {
      const notification = notificationOf(record);
      messages.set(record.messageId, notification ? documentsOf(notification) : []);
    } catch (error) {
      messages.set(record.messageId, error as Error);
    }
  }
  const refs = [...messages.values()].flatMap((m) => (m instanceof Error ? [] : m));
  const results = await syncBatch(refs, context);
  await markDeadLetters(event, messages, results);
  return processPartialResponse(
    event,
    async (record: SQSRecord) => {
      const documents = messages.get(record.messageId)!;
      if (documents instanceof Error) {
        logger.error('message refused', { messageId: record.messageId, reason: documents.message });
        throw documents;
      }
      const failed = documents.map((d) => results.get(refKey(d))!).find((r) => r.action === 'failed');
      if (failed) throw failed.error;
    },
    // One processor per invocation: it holds the batch's state, and the local stack runs invocations side by side.
    new BatchProcessor(EventType.SQS),
    { context, processInParallel: false },
  );
}

/**
 * A message on its last receive whose documents failed goes to the dead-letter queue when this batch returns:
 * its documents turn `failed` with the last error, so the documents API shows what the queue holds.
 */
async function markDeadLetters(
  event: SQSEvent,
  messages: Map<string, DocumentRef[] | Error>,
  results: Map<string, SyncResult>,
): Promise<void> {
  const given: { source: string; error: unknown }[] = [];
  for (const record of event.Records) {
    const documents = messages.get(record.messageId);
    if (documents instanceof Error || !documents) continue;
    if (Number(record.attributes.ApproximateReceiveCount) < config.ingest.maxReceives) continue;
    for (const ref of documents) {
      const result = results.get(refKey(ref));
      if (result?.action === 'failed') given.push({ source: result.source, error: result.error });
    }
  }
  if (given.length === 0) return;
  logger.error('documents dead-lettered', { sources: given.map((g) => g.source), attempts: config.ingest.maxReceives });
  try {
    await markGivenUp(
      await services.statuses(),
      given,
      config.ingest.maxReceives,
      new Date().toISOString(),
      config.tenancy,
    );
  } catch (error) {
    logger.error('dead-lettered documents not marked failed', { error: error as Error });
  }
}

/** A direct S3 notification (S3 → Lambda, or a replayed event): any failed document fails the invocation. */
async function ingestNotification(event: unknown, context: Context): Promise<{ outcomes: IngestOutcome[] }> {
  const parsed = S3EventSchema.safeParse(event);
  if (!parsed.success)
    throw new BadRequestError(`not an S3 notification or SQS batch: ${describeZodError(parsed.error)}`);
  const refs = documentsOf(parsed.data);
  const byKey = await syncBatch(refs, context);
  const results = [...new Set(refs.map(refKey))].map((key) => byKey.get(key)!);
  const failures = results.flatMap((r) => (r.action === 'failed' ? [{ key: r.source, error: r.error }] : []));
  if (failures.length > 0) throw new IngestFailedError(failures, parsed.data.Records.length);
  return { outcomes: results as IngestOutcome[] };
}

const isSqsEvent = (event: unknown): event is SQSEvent =>
  (event as SQSEvent | null)?.Records?.[0]?.eventSource === 'aws:sqs';

async function ingestHandler(
  event: unknown,
  context: Context,
): Promise<SQSBatchResponse | { outcomes: IngestOutcome[] } | { job: string; status: string }> {
  logger.appendKeys({ correlation_id: context.awsRequestId });
  if (isJobInvocation(event)) return runIngestionJob(event, context, { services, config, logger, s3 });
  return isSqsEvent(event) ? ingestQueueBatch(event, context) : ingestNotification(event, context);
}

export const handler = middy(ingestHandler).use(middlewares);
