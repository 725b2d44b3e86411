import type { S3Client } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import type { Logger } from '@aws-lambda-powertools/logger';
import { S3DocumentReader, listKeys } from '../../shared/adapters/s3/s3Documents.js';
import type { JobInvocation } from '../../shared/adapters/lambda/jobLauncher.js';
import { syncDocuments } from '../../shared/pipeline/ingest/ingest.js';
import { countResults, jobPlan } from '../../shared/pipeline/ingest/ingestionJobs.js';
import { reasonOf } from '../../shared/pipeline/ingest/statuses.js';
import type { Config } from '../../shared/wiring/config.js';
import { type Services, ingestDeps } from '../../shared/wiring/services.js';
import { jobLauncher, openJobStore } from '../../shared/wiring/store.js';

/** Documents synced and committed together in a job: its progress is saved after each batch. */
const JOB_BATCH = 32;
/** Time kept for the last batch and the hand-over: with less left, the job goes on in a new invocation. */
const JOB_RESERVE_MS = 240_000;

/**
 * Runs an ingestion job (the reconcile of a prefix, or a redrive of its failed documents) in batches, saving its
 * statistics after each; near the invocation's timeout it hands the rest to a new invocation of this function.
 * A finished job is not run again (an `Event` invocation may be delivered twice).
 */
export async function runIngestionJob(
  { ingestionJob: { id, offset } }: JobInvocation,
  context: Context,
  parts: { services: Services; config: Config; logger: Logger; s3: S3Client },
): Promise<{ job: string; status: string }> {
  const { services, config, logger, s3 } = parts;
  const jobs = openJobStore(config);
  const job = jobs && (await jobs.get(id));
  if (!jobs || !job) {
    logger.error('no such ingestion job', { id });
    return { job: id, status: 'UNKNOWN' };
  }
  if (job.status === 'COMPLETE' || job.status === 'FAILED') return { job: id, status: job.status };
  logger.appendKeys({ ingestion_job: id });
  try {
    job.status = 'IN_PROGRESS';
    await jobs.save(job);
    const deps = await ingestDeps(services, config, logger);
    const bucket = config.documents.bucket;
    const failed =
      job.only === 'failed'
        ? (await deps.statuses!.list({ tenant: job.tenant, status: 'failed', prefix: job.prefix, limit: 1e9 }))
            .documents
        : [];
    const indexed = await deps.store.listSources();
    const plan = jobPlan(
      await listKeys(s3, bucket, job.prefix),
      indexed,
      job,
      failed.map((d) => d.source),
    );
    if (offset === 0) {
      job.statistics.numberOfDocumentsScanned = plan.documentsInBucket;
      job.statistics.numberOfMetadataDocumentsScanned = plan.metadataFiles;
    }
    // New or modified: against the index before this invocation (a continued job sees its own earlier writes).
    const indexedBefore = new Set(indexed);
    const reader = new S3DocumentReader(s3, bucket);
    const launcher = jobLauncher(config);
    for (let start = offset; start < plan.names.length; start += JOB_BATCH) {
      if (launcher && context.getRemainingTimeInMillis() < JOB_RESERVE_MS) {
        await jobs.save(job);
        await launcher.launch({ ingestionJob: { id, offset: start } });
        logger.info('ingestion job continues in a new invocation', { done: start, of: plan.names.length });
        return { job: id, status: job.status };
      }
      countResults(job, await syncDocuments(plan.names.slice(start, start + JOB_BATCH), reader, deps), indexedBefore);
      await jobs.save(job);
    }
    job.status = 'COMPLETE';
  } catch (error) {
    logger.error('ingestion job failed', { error: error as Error });
    job.status = 'FAILED';
    job.reason = reasonOf(error);
  }
  await jobs.finish(job);
  logger.info('ingestion job finished', { status: job.status, statistics: job.statistics });
  return { job: id, status: job.status };
}
