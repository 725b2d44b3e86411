/**
 * npm run demo [-- --query "..." --db <uri>]
 * The seed notebook end to end through the real code paths: ingest the sample State of the Union text,
 * print the top-20 retrieved chunks, then the top-3 after cross-encoder reranking, in the seed's format.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { indexDocument } from '../shared/pipeline/ingest/ingest.js';
import { silentLog } from '../shared/pipeline/log.js';
import { answerQuery } from '../shared/pipeline/query/query.js';
import { createServices, ingestDeps, queryDeps } from '../shared/wiring/services.js';
import { cliConfig, runCommand } from './common.js';

const SAMPLE = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'samples', 'state_of_the_union.txt');

/** The seed's pretty_print_docs: "Document i:" blocks separated by a line of 100 dashes. */
function prettyPrint(docs: { text: string; note: string }[]): string {
  return docs.map((d, i) => `Document ${i + 1}:${d.note}\n\n${d.text}`).join(`\n${'-'.repeat(100)}\n`);
}

runCommand(
  {
    options: {
      query: { type: 'string', default: 'What is the plan for the economy?' },
      db: { type: 'string', default: process.env.VECTOR_DB_URI ?? '.data/demo-lancedb' },
    },
  },
  async ({ values }) => {
    const config = cliConfig({ VECTOR_DB_URI: values.db });
    const services = createServices(config);
    const t0 = performance.now();
    const deps = await queryDeps(services, config, console);
    const loadMs = performance.now() - t0;
    const ingested = await indexDocument(
      'state_of_the_union.txt',
      await readFile(SAMPLE),
      await ingestDeps(services, config, silentLog),
    );
    const k = config.query.k;
    // All k reranked: the retrieval order is printed first, then the top-n by rerank score.
    const response = await answerQuery({ query: values.query, k, topN: k }, deps);
    const { crossEncoder } = deps;
    const retrieved = [...response.results].sort((a, b) => a.retrievalRank - b.retrievalRank);
    const out = process.stdout;
    out.write(
      `Embedder ${config.embedding.model} (${config.embedding.dtype}), cross-encoder ${crossEncoder?.name ?? 'none'}; ` +
        `models loaded in ${Math.round(loadMs)} ms; sample ${ingested.action} (${'chunks' in ingested ? ingested.chunks : 0} chunks) in ${values.db}\n`,
    );
    out.write(
      `\nQuery: ${values.query}\n\n=== Top ${retrieved.length} retrieved (${config.retrieval.mode} search${config.retrieval.mode === 'fts' ? '' : `, ${config.embedding.metric}`}) ===\n\n`,
    );
    out.write(
      `${prettyPrint(retrieved.map((r) => ({ text: r.text, note: ` (similarity ${r.retrievalScore.toFixed(4)})` })))}\n`,
    );
    out.write(`\n=== Top ${config.query.topN} after reranking ===\n\n`);
    const top = response.results.slice(0, config.query.topN);
    out.write(
      `${prettyPrint(
        top.map((r) => ({
          text: r.text,
          note: ` (rerank score ${r.score?.toFixed(4) ?? 'n/a'}, was #${r.retrievalRank})`,
        })),
      )}\n`,
    );
    const t = response.timings;
    out.write(
      `\nembed ${t.embed} ms, search ${t.search} ms, rerank ${t.rerank} ms (${k} pairs), total ${t.total} ms\n`,
    );
  },
);
