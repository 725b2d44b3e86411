import { LambdaClient } from '@aws-sdk/client-lambda';
import { type ChildProcess, spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { isPartMessage } from '../local/partMessages.js';
import { type ScoringPool, startScoringPool } from '../local/scoringPool.js';
import { silentLog } from '../shared/pipeline/log.js';
import { FanOutCrossEncoder } from '../shared/pipeline/rerank/fanOutCrossEncoder.js';
import { LambdaShardInvoker } from '../shared/adapters/lambda/lambdaShardInvoker.js';
import { LocalCrossEncoder } from '../shared/adapters/transformers/localCrossEncoder.js';
import { type BenchRow, formatTiming, type Timing, timeInterleaved } from './stats.js';
import type { Pair, CrossEncoder } from '../shared/pipeline/ports.js';

export interface FanOutBenchOptions {
  modelsDir: string;
  crossEncoder: string;
  /** `n` candidate pairs as the pipeline produces them. */
  pairs: (n: number) => Promise<Pair[]>;
  runs: number;
  row: (row: BenchRow) => void;
}

const FUNCTION = 'bench-score';

/** `count` instances of the scoring function (local/scoringInstance.ts), each its own process and model. */
async function startInstances(count: number, env: Record<string, string>): Promise<{ urls: string[]; stop(): void }> {
  const children: ChildProcess[] = [];
  const urls = await Promise.all(
    Array.from({ length: count }, () => {
      const child = spawn(process.execPath, ['--import', 'tsx', path.join('local', 'scoringInstance.ts')], {
        env: { ...process.env, ...env, SCORING_INSTANCE_PORT: '0', SCORING_FUNCTION_NAME: FUNCTION },
        stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      });
      children.push(child);
      return new Promise<string>((resolve, reject) => {
        child.on('message', (message) => {
          if (isPartMessage(message) && message.type === 'ready') resolve(message.url);
        });
        child.on('exit', (code) => reject(new Error(`a scoring instance exited with ${code} before it was ready`)));
      });
    }),
  );
  return {
    urls,
    stop: () => {
      for (const child of children) child.kill('SIGTERM');
    },
  };
}

/**
 * Reranking 20 and 100 pairs: in-process as today (onnxruntime's default threads), with intra-op threads set, and
 * fanned out over 2 and 4 real scoring instances (one thread each, as a 1,769 MB Lambda has one vCPU) behind the
 * local Invoke API, all taken in turn; then the cost of one invocation over scoring the same pairs in-process.
 */
export async function benchFanOut(options: FanOutBenchOptions): Promise<{ overheadMs: number; cores: number }> {
  const { crossEncoder: model, runs, row } = options;
  const cores = os.availableParallelism();
  const instances = await startInstances(4, {
    MODELS_DIR: options.modelsDir,
    ALLOW_REMOTE_MODELS: 'false',
    RERANKER_MODEL: model,
    RERANKER_DTYPE: 'int8',
    RERANK_THREADS: '1',
    POWERTOOLS_LOG_LEVEL: 'ERROR',
  });
  let pool: ScoringPool | undefined;
  let client: LambdaClient | undefined;
  try {
    pool = await startScoringPool({ port: 0, functionName: FUNCTION, instances: () => instances.urls });
    // The local Invoke API checks no signature; the SDK still wants credentials to sign with.
    client = new LambdaClient({
      endpoint: pool.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
      maxAttempts: 1,
    });
    const invoker = new LambdaShardInvoker({ functionName: FUNCTION, client });
    const inProcess = await LocalCrossEncoder.create({ model, dtype: 'int8' });
    const threaded = new Map<number, CrossEncoder>();
    for (const threads of [...new Set([1, 2, cores])]) {
      threaded.set(threads, await LocalCrossEncoder.create({ model, dtype: 'int8', threads }));
    }
    // A shard scored in-process after failed invocations would time the fallback, not the fan-out: refuse it.
    const onShard = ({ fellBack }: { fellBack: boolean }) => {
      if (fellBack) throw new Error('a shard fell back to in-process scoring: the figures would not be fan-out');
    };
    const fanned = (shards: number, minPairsPerShard: number) =>
      new FanOutCrossEncoder({
        local: inProcess,
        invoker,
        maxShards: shards,
        minPairsPerShard,
        log: silentLog,
        onShard,
      });

    for (const n of [20, 100]) {
      const pairs = await options.pairs(n);
      const variants: [string, CrossEncoder][] = [
        ...[...threaded].map(([threads, encoder]): [string, CrossEncoder] => [
          `${threads} intra-op thread(s)`,
          encoder,
        ]),
        [`fan-out 2 shards`, fanned(2, n / 2)],
        ...(n >= 100 ? [[`fan-out 4 shards`, fanned(4, n / 4)] as [string, CrossEncoder]] : []),
      ];
      const [baseline, ...timings] = await timeInterleaved(
        [
          () => inProcess.score(pairs),
          ...variants.map(
            ([, encoder]) =>
              () =>
                encoder.score(pairs),
          ),
        ],
        runs,
        2,
      );
      for (const [i, [label, encoder]] of variants.entries()) {
        const t = timings[i]!;
        row({
          benchmark: `rerank ${n} pairs, ${label}`,
          ours: formatTiming(t),
          baseline: `${formatTiming(baseline!)} in-process, one shard, onnxruntime's default threads`,
          ratio: `${(baseline!.median / t.median).toFixed(2)}x`,
          detail: { n, variant: label, encoder: encoder.name, ours: t, baseline, cores },
        });
      }
    }

    // One invocation's cost: the same pairs through the Invoke API (SDK → pool → instance → back) against one
    // thread in-process, which is what the instance runs.
    const oneThread = threaded.get(1)!;
    let overheadMs = 0;
    for (const n of [1, 25]) {
      const pairs = await options.pairs(n);
      const deadline = () => Date.now() + 30_000;
      const [invoked, local] = (await timeInterleaved(
        [
          () => invoker.invoke(pairs, { deadline: deadline(), signal: AbortSignal.timeout(30_000) }),
          () => oneThread.score(pairs),
        ],
        runs * 2,
        3,
      )) as [Timing, Timing];
      const overhead = Math.round((invoked.median - local.median) * 10) / 10;
      if (n === 25) overheadMs = overhead;
      row({
        benchmark: `one scoring invocation of ${n} pair(s) (local Invoke API)`,
        ours: formatTiming(invoked),
        baseline: `${formatTiming(local)} the same pairs in-process, 1 thread`,
        ratio: `+${overhead} ms per shard`,
        detail: { n, invoked, local, overheadMs: overhead },
      });
    }
    return { overheadMs, cores };
  } finally {
    await pool?.close();
    instances.stop();
    client?.destroy();
  }
}
