/**
 * npm run ingest -- <file or dir>... [--db <uri>]
 * Ingests local .txt/.md files through the same pipeline as the ingest Lambda.
 */
import { SingleBar, Presets } from 'cli-progress';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { FileDocumentReader } from '../shared/fileDocuments.js';
import { syncDocument, type IngestOutcome } from '../shared/ingest.js';
import { createServices, ingestDeps } from '../shared/services.js';
import { cliConfig, runCli } from './common.js';

async function expand(target: string): Promise<string[]> {
  const info = await stat(target);
  if (!info.isDirectory()) return [target];
  const entries = await readdir(target, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name)).sort();
}

runCli(async () => {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { db: { type: 'string' }, quiet: { type: 'boolean', default: false } },
  });
  if (positionals.length === 0) throw new Error('usage: npm run ingest -- <file or dir>... [--db <uri>]');
  const config = cliConfig({ VECTOR_DB_URI: values.db });
  const services = createServices(config);
  const files = (await Promise.all(positionals.map(expand))).flat();
  // Skipped files are summarised at the end; warnings would repeat them under the progress bar.
  const log = { info() {}, warn() {}, error: console.error };
  const deps = await ingestDeps(services, config, log);
  const bar = files.length > 1 && !values.quiet && process.stderr.isTTY ? new SingleBar({}, Presets.shades_classic) : null;
  bar?.start(files.length, 0);
  const outcomes: IngestOutcome[] = [];
  const reader = new FileDocumentReader();
  for (const file of files) {
    outcomes.push(await syncDocument(path.normalize(file), reader, deps));
    bar?.increment();
  }
  bar?.stop();
  const count = (action: IngestOutcome['action']) => outcomes.filter((o) => o.action === action).length;
  const chunks = outcomes.reduce((n, o) => n + ('chunks' in o && o.action === 'indexed' ? o.chunks : 0), 0);
  process.stdout.write(
    `${files.length} file(s): ${count('indexed')} indexed (${chunks} chunks), ${count('unchanged')} unchanged, ` +
      `${count('skipped')} skipped → ${config.store.uri} (${await deps.store.count()} chunks in total)\n`,
  );
  for (const o of outcomes) if (o.action === 'skipped') process.stdout.write(`  skipped ${o.source}: ${o.reason}\n`);
});
