import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LocalCrossEncoder } from '../shared/adapters/transformers/localCrossEncoder.js';
import { StackProcess } from '../test/stack.js';
import { type Timing, time, timeInterleaved } from './stats.js';
import type { Pair } from '../shared/pipeline/ports.js';

export interface RerankApiBenchOptions {
  modelsDir: string;
  crossEncoder: string;
  embedder: string;
  query: string;
  /** ~500-character chunks to rerank. */
  chunks: string[];
  runs: number;
  report: (benchmark: string, ours: Timing, baseline: Timing, oursLabel: string, baseLabel: string) => void;
}

/**
 * The rerank API on the local stack (`npm start`: front door → rerank function → SageMaker client → endpoint
 * server) against the same cross-encoder in-process, and the cost of one long document in a request.
 */
export async function benchRerankApi(options: RerankApiBenchOptions): Promise<void> {
  const { query, chunks, runs, report } = options;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'bench-stack-'));
  const settings = {
    S3_PORT: '31761',
    HTTP_PORT: '31060',
    LAMBDA_PORT: '31062',
    ENDPOINT_PORT: '31861',
    STACK_DATA_DIR: dataDir,
  };
  const stack = new StackProcess(settings, {
    MODELS_DIR: options.modelsDir,
    EMBEDDING_MODEL: options.embedder,
    RERANKER_MODEL: options.crossEncoder,
    RERANKER_DTYPE: 'int8',
  });
  try {
    await stack.waitFor(/Stack ready/);
    const rerank = async (body: object) => {
      const res = await fetch(`http://127.0.0.1:${settings.HTTP_PORT}/v2/rerank`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (res.status !== 200) throw new Error(`/v2/rerank answered ${res.status}: ${await res.text()}`);
      return res.json();
    };
    const documents = Array.from({ length: 100 }, (_, i) => chunks[i % chunks.length]!);
    const encoder = await LocalCrossEncoder.create({ model: options.crossEncoder, dtype: 'int8' });
    const pairs = documents.map((d): Pair => [query, d]);
    // Three warm-up calls each: the stack's processes (function, endpoint) warm up over their first few requests.
    // Taken in turn, so the machine's drift during the run falls on both alike.
    const [viaStack, inProcess] = (await timeInterleaved(
      [() => rerank({ model: 'local', query, documents }), () => encoder.score(pairs)],
      runs,
      3,
    )) as [Timing, Timing];
    report(
      'rerank 100 documents of ~500 characters',
      viaStack,
      inProcess,
      `POST /v2/rerank on the local stack (+${(((viaStack.median - inProcess.median) / inProcess.median) * 100).toFixed(1)} % HTTP + JSON)`,
      'in-process cross-encoder, same model',
    );

    const long = `${'The committee reviewed supply chains, ports, and the price of goods in every state. '.repeat(330)}`;
    const short = documents.slice(0, 19);
    const withLong = [...short.slice(0, 10), long, ...short.slice(10)];
    const twentyShort = documents.slice(0, 20);
    const baseline = await time(() => rerank({ model: 'local', query, documents: twentyShort }), runs, 1);
    const capped = await time(() => rerank({ model: 'local', query, documents: withLong }), runs, 1);
    const tight = await time(
      () => rerank({ model: 'local', query, documents: withLong, max_tokens_per_doc: 512 }),
      runs,
      1,
    );
    report(
      '20 documents, one of ~5,000 tokens (max_tokens_per_doc 4096)',
      capped,
      baseline,
      'via /v2/rerank',
      '20 short documents',
    );
    report(
      '20 documents, one of ~5,000 tokens (max_tokens_per_doc 512)',
      tight,
      baseline,
      'via /v2/rerank',
      '20 short documents',
    );
  } finally {
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
