import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { startEndpointServer } from '../endpoint/server.js';
import { silentLog } from '../shared/pipeline/log.js';
import { LocalCrossEncoder } from '../shared/adapters/transformers/localCrossEncoder.js';
import { SageMakerCrossEncoder } from '../shared/adapters/sagemaker/sagemakerCrossEncoder.js';
import { type BenchRow, formatTiming, summarize, time } from './stats.js';
import type { Pair } from '../shared/pipeline/ports.js';

/**
 * The endpoint server over HTTP through the real SageMaker client, at 1, 4 and 8 concurrent clients, against the same
 * encoder in-process: pairs per second and latency.
 */
export async function benchEndpointServer(model: string, pairs: Pair[], runs: number): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const encoder = await LocalCrossEncoder.create({ model, dtype: 'int8' });
  const server = await startEndpointServer({ encoder, port: 0, log: silentLog });
  try {
    const client = new SageMakerRuntimeClient({
      endpoint: server.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
    });
    const remote = new SageMakerCrossEncoder({ endpointName: 'bench', client, timeoutMs: 60_000 });
    const requests = Math.max(8, runs);
    const inProcess = await time(() => encoder.score(pairs), Math.max(3, runs >> 1));
    const baselinePps = Math.round((pairs.length / inProcess.median) * 1000);
    for (const clients of [1, 4, 8]) {
      await remote.score(pairs);
      const latencies: number[] = [];
      const start = performance.now();
      let sent = 0;
      await Promise.all(
        Array.from({ length: clients }, async () => {
          while (sent < requests) {
            sent++;
            const t = performance.now();
            await remote.score(pairs);
            latencies.push(performance.now() - t);
          }
        }),
      );
      const seconds = (performance.now() - start) / 1000;
      const pps = Math.round((latencies.length * pairs.length) / seconds);
      const lat = summarize(latencies);
      rows.push({
        benchmark: `local endpoint, ${clients} concurrent client(s), 20 pairs/request`,
        ours: `${pps} pairs/s (latency ${formatTiming(lat)})`,
        baseline: `${baselinePps} pairs/s in-process, no HTTP`,
        ratio: `${(pps / baselinePps).toFixed(2)}x of in-process`,
        detail: { clients, pairsPerSecond: pps, latency: lat, inProcess },
      });
    }
  } finally {
    await server.close();
  }
  return rows;
}
