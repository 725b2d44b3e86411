/**
 * npm run ingest -- <file or dir>... [--db <uri>] [--batch 64]
 * npm run ingest -- --reconcile s3://<bucket>/<prefix> [--db <uri>]
 * npm run ingest -- --redrive [--prefix docs/acme/] [--db <uri>]
 * Ingests local documents (.txt, .md, .pdf, .html, .docx) through the same pipeline as the ingest Lambda, a batch per
 * commit, compacting as it goes and once at the end; or, with --reconcile, brings the index in line with a
 * bucket (after lost or failed events): every object under the prefix is synced (unchanged ones are no-ops)
 * and indexed sources whose object is gone are deleted; or, with --redrive, syncs again every document whose status
 * is failed (after the cause is fixed: a dead-lettered message, a limit raised) from DOCUMENTS_BUCKET. A rerun
 * resumes: unchanged files are skipped by hash.
 */
import { SingleBar, Presets } from 'cli-progress';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { FileDocumentReader } from '../shared/adapters/fs/fileDocuments.js';
import { syncInBatches } from '../shared/pipeline/ingest/bulkIngest.js';
import type { DocumentReader } from '../shared/pipeline/ingest/ingest.js';
import { reconcilePlan } from '../shared/pipeline/ingest/reconcile.js';
import { S3DocumentReader, createS3Client, listKeys, parseS3Uri } from '../shared/adapters/s3/s3Documents.js';
import { createServices, ingestDeps } from '../shared/wiring/services.js';
import { cliConfig, runCommand } from './common.js';
import type { SyncResult } from '../shared/pipeline/ingest/batchCommit.js';

async function expand(target: string): Promise<string[]> {
  const info = await stat(target);
  if (!info.isDirectory()) return [target];
  const entries = await readdir(target, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}

runCommand(
  {
    allowPositionals: true,
    options: {
      db: { type: 'string' },
      quiet: { type: 'boolean', default: false },
      reconcile: { type: 'string' },
      redrive: { type: 'boolean', default: false },
      prefix: { type: 'string' },
      batch: { type: 'string', default: '64' },
    },
  },
  async ({ values, positionals }) => {
    if (positionals.length === 0 && values.reconcile === undefined && !values.redrive) {
      throw new Error(
        'usage: npm run ingest -- <file or dir>... [--db <uri>] [--batch 64] | --reconcile s3://<bucket>/<prefix> | --redrive [--prefix p]',
      );
    }
    const batchSize = Number(values.batch);
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 256) {
      throw new Error('--batch must be an integer from 1 to 256 (documents per commit)');
    }
    const config = cliConfig({ VECTOR_DB_URI: values.db });
    const services = createServices(config);
    // Skipped files are summarised at the end; warnings would repeat them under the progress bar.
    const log = { info() {}, warn() {}, error: console.error };
    const deps = await ingestDeps(services, config, log);

    let names: string[];
    let reader: DocumentReader;
    if (values.redrive) {
      const prefix = values.prefix ?? config.tenancy.documentsPrefix;
      const failed = await (await services.statuses()).list({ tenant: null, status: 'failed', prefix, limit: 1e9 });
      names = failed.documents.map((d) => d.source);
      const client = createS3Client({ region: config.store.region, endpoint: config.store.s3Endpoint });
      reader = new S3DocumentReader(client, config.documents.bucket);
    } else if (values.reconcile !== undefined) {
      const { bucket, prefix } = parseS3Uri(values.reconcile);
      const client = createS3Client({ region: config.store.region, endpoint: config.store.s3Endpoint });
      names = reconcilePlan(await listKeys(client, bucket, prefix), await deps.store.listSources(), prefix);
      reader = new S3DocumentReader(client, bucket);
    } else {
      names = (await Promise.all(positionals.map(expand))).flat().map((f) => path.normalize(f));
      reader = new FileDocumentReader();
    }

    const bar =
      names.length > 1 && !values.quiet && process.stderr.isTTY
        ? new SingleBar(
            {
              format:
                ' {bar} {value}/{total} documents | {docsPerSecond} docs/s | {chunksPerSecond} chunks/s | ETA {eta_formatted}',
            },
            Presets.shades_classic,
          )
        : null;
    const started = performance.now();
    let done = 0;
    let chunksWritten = 0;
    bar?.start(names.length, 0, { docsPerSecond: '-', chunksPerSecond: '-' });
    const results = await syncInBatches(names, reader, deps, {
      batchSize,
      onBatch(batch) {
        done += batch.length;
        chunksWritten += batch.reduce((n, r) => n + (r.action === 'indexed' ? r.chunks : 0), 0);
        const seconds = (performance.now() - started) / 1000;
        bar?.update(done, {
          docsPerSecond: (done / seconds).toFixed(1),
          chunksPerSecond: (chunksWritten / seconds).toFixed(1),
        });
      },
    });
    bar?.stop();
    const store = await services.store();
    if (results.some((r) => r.action === 'indexed' || r.action === 'deleted')) {
      // One compaction at the end leaves the table in few large fragments: the fastest to search.
      await store.ensureIndexes();
      await store.optimize();
    }
    const seconds = (performance.now() - started) / 1000;
    const count = (action: SyncResult['action']) => results.filter((o) => o.action === action).length;
    process.stdout.write(
      `${names.length} document(s) in ${seconds.toFixed(1)} s: ${count('indexed')} indexed (${chunksWritten} chunks), ` +
        `${count('unchanged')} unchanged, ${count('deleted')} deleted, ${count('skipped')} skipped, ${count('failed')} failed ` +
        `→ ${config.store.uri} (${await store.count()} chunks in total)\n`,
    );
    for (const r of results) {
      if (r.action === 'skipped') process.stdout.write(`  skipped ${r.source}: ${r.reason}\n`);
      if (r.action === 'failed') process.stdout.write(`  FAILED ${r.source}: ${(r.error as Error).message}\n`);
    }
    // Failed documents are worth a rerun (it resumes); say so through the exit status too.
    if (count('failed') > 0) process.exitCode = 1;
  },
);
