/**
 * npm run ingest -- <file or dir>... [--db <uri>]
 * npm run ingest -- --reconcile s3://<bucket>/<prefix> [--db <uri>]
 * Ingests local .txt/.md files through the same pipeline as the ingest Lambda; or, with --reconcile, brings
 * the index in line with a bucket (after lost or failed events): every object under the prefix is synced
 * (unchanged ones are no-ops) and indexed sources whose object is gone are deleted.
 */
import { SingleBar, Presets } from 'cli-progress';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { FileDocumentReader } from '../shared/fileDocuments.js';
import { syncDocument, type DocumentReader, type IngestOutcome } from '../shared/ingest.js';
import { reconcilePlan } from '../shared/reconcile.js';
import { S3DocumentReader, createS3Client, listKeys, parseS3Uri } from '../shared/s3Documents.js';
import { createServices, ingestDeps } from '../shared/services.js';
import { cliConfig, runCli } from './common.js';

async function expand(target: string): Promise<string[]> {
  const info = await stat(target);
  if (!info.isDirectory()) return [target];
  const entries = await readdir(target, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}

runCli(async () => {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { db: { type: 'string' }, quiet: { type: 'boolean', default: false }, reconcile: { type: 'string' } },
  });
  if (positionals.length === 0 && values.reconcile === undefined) {
    throw new Error('usage: npm run ingest -- <file or dir>... [--db <uri>] | --reconcile s3://<bucket>/<prefix>');
  }
  const config = cliConfig({ VECTOR_DB_URI: values.db });
  const services = createServices(config);
  // Skipped files are summarised at the end; warnings would repeat them under the progress bar.
  const log = { info() {}, warn() {}, error: console.error };
  const deps = await ingestDeps(services, config, log);

  let names: string[];
  let reader: DocumentReader;
  if (values.reconcile !== undefined) {
    const { bucket, prefix } = parseS3Uri(values.reconcile);
    const client = createS3Client({ region: config.store.region, endpoint: config.store.s3Endpoint });
    names = reconcilePlan(await listKeys(client, bucket, prefix), await deps.store.listSources(), prefix);
    reader = new S3DocumentReader(client, bucket);
  } else {
    names = (await Promise.all(positionals.map(expand))).flat().map((f) => path.normalize(f));
    reader = new FileDocumentReader();
  }

  const bar =
    names.length > 1 && !values.quiet && process.stderr.isTTY ? new SingleBar({}, Presets.shades_classic) : null;
  bar?.start(names.length, 0);
  const outcomes: IngestOutcome[] = [];
  for (const name of names) {
    outcomes.push(await syncDocument(name, reader, deps));
    bar?.increment();
  }
  bar?.stop();
  const count = (action: IngestOutcome['action']) => outcomes.filter((o) => o.action === action).length;
  const chunks = outcomes.reduce((n, o) => n + ('chunks' in o && o.action === 'indexed' ? o.chunks : 0), 0);
  process.stdout.write(
    `${names.length} document(s): ${count('indexed')} indexed (${chunks} chunks), ${count('unchanged')} unchanged, ` +
      `${count('deleted')} deleted, ${count('skipped')} skipped → ${config.store.uri} (${await deps.store.count()} chunks in total)\n`,
  );
  for (const o of outcomes) if (o.action === 'skipped') process.stdout.write(`  skipped ${o.source}: ${o.reason}\n`);
});
