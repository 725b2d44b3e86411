import { syncDocuments, type IngestDeps } from '../shared/pipeline/ingest/ingest.js';
import type { DocumentContent, DocumentReader } from '../shared/pipeline/ports.js';
import { answerQuery, type QueryDeps } from '../shared/pipeline/query/query.js';
import type { BenchRow } from './stats.js';
import { timeInterleaved } from './stats.js';

/**
 * Metadata's costs, each against its baseline in the same run: re-applying a changed sidecar (stored chunks and
 * vectors re-written) against re-indexing the same document after a text change (split and embed again); and a
 * query filtered on metadata against the same query unfiltered.
 */

/** One document whose text or sidecar a benchmark changes between syncs. */
class ChangingDocument implements DocumentReader {
  text: string;
  sidecar: Record<string, unknown> = {};
  constructor(text: string) {
    this.text = text;
  }
  async read(): Promise<DocumentContent> {
    return {
      bytes: new TextEncoder().encode(this.text),
      version: this.#version(),
      userMetadata: {},
      sidecar: new TextEncoder().encode(JSON.stringify({ metadataAttributes: this.sidecar })),
    };
  }
  async version(): Promise<string> {
    return this.#version();
  }
  #version(): string {
    return `${this.text.length}:${JSON.stringify(this.sidecar)}:${this.text.slice(-12)}`;
  }
}

export async function benchMetadata(options: {
  sample: string;
  ingest: IngestDeps;
  query: Omit<QueryDeps, 'crossEncoder'>;
  runs: number;
  row: (row: BenchRow) => void;
}): Promise<void> {
  const { sample, ingest, runs } = options;
  const document = new ChangingDocument(sample);
  let round = 0;
  const sync = async (expected: string) => {
    const [result] = await syncDocuments(['docs/acme/sotu.txt'], document, ingest);
    if (result!.action !== expected) throw new Error(`expected ${expected}, got ${JSON.stringify(result)}`);
    return result!;
  };
  await sync('indexed');
  const chunks = (await ingest.store.storedChunks('docs/acme/sotu.txt')).length;
  const [reapply, reindex] = await timeInterleaved(
    [
      () => {
        document.sidecar = { team: round % 2 ? 'eng' : 'ops', year: 2000 + (round++ % 30) };
        return sync('metadata');
      },
      () => {
        document.text = `${sample}\n${round++}`;
        return sync('indexed');
      },
    ],
    Math.max(3, runs >> 1),
    1,
  );
  options.row({
    benchmark: `sidecar change of a ${chunks}-chunk document (re-apply metadata)`,
    ours: `${reapply!.median} ms (p90 ${reapply!.p90}) stored chunks re-written with the new metadata`,
    baseline: `${reindex!.median} ms (p90 ${reindex!.p90}) text changed: split, embed, write`,
    ratio: `${(reindex!.median / reapply!.median).toFixed(1)}x`,
    detail: { ours: reapply, baseline: reindex, chunks },
  });

  // 40 more documents, every fifth one matching the filter, so it keeps a fifth of the table.
  const corpus = new Map<string, DocumentContent>();
  for (let i = 0; i < 40; i++) {
    const text = sample.slice((i * 1500) % (sample.length - 3000), ((i * 1500) % (sample.length - 3000)) + 3000);
    const sidecar = { metadataAttributes: { team: i % 5 === 0 ? 'eng' : 'ops', year: 2015 + (i % 10) } };
    corpus.set(`docs/t${i % 4}/d${i}.txt`, {
      bytes: new TextEncoder().encode(text),
      version: `v${i}`,
      userMetadata: {},
      sidecar: new TextEncoder().encode(JSON.stringify(sidecar)),
    });
  }
  const reader: DocumentReader = {
    read: async (name) => corpus.get(name) ?? null,
    version: async (name) => corpus.get(name)?.version ?? null,
  };
  await syncDocuments([...corpus.keys()], reader, ingest);
  const rows = await ingest.store.count();
  const deps = { ...options.query, crossEncoder: null };
  const query = { query: 'What is the plan for the economy?', k: 20, topN: 20 };
  const filter = { andAll: [{ equals: { key: 'team', value: 'eng' } }, { greaterThan: { key: 'year', value: 2016 } }] };
  const [filtered, plain] = await timeInterleaved(
    [() => answerQuery({ ...query, filter }, deps), () => answerQuery(query, deps)],
    runs,
  );
  options.row({
    benchmark: `query filtered on metadata (${rows} chunks, vector, retrieval only)`,
    ours: `${filtered!.median} ms (p90 ${filtered!.p90}) team = eng AND year > 2016`,
    baseline: `${plain!.median} ms (p90 ${plain!.p90}) no filter`,
    ratio: `${(plain!.median / filtered!.median).toFixed(2)}x`,
    detail: { ours: filtered, baseline: plain, rows },
  });
}
