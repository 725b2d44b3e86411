import { percentile } from '../evaluation/stats.js';

/** One line of the benchmark table: our figure next to its baseline from the same run. */
export interface BenchRow {
  benchmark: string;
  ours: string;
  baseline: string;
  ratio: string;
  detail: Record<string, unknown>;
}

/** Summary of repeated timings in milliseconds. */
export interface Timing {
  median: number;
  p90: number;
  min: number;
  runs: number;
}

/** A timing as the tables print it: median, then p90. */
export const formatTiming = (t: Timing): string => `${t.median} ms (p90 ${t.p90})`;

export function summarize(samples: number[]): Timing {
  const round = (n: number) => Math.round(n * 10) / 10;
  return {
    median: round(percentile(samples, 50)),
    p90: round(percentile(samples, 90)),
    min: round(Math.min(...samples)),
    runs: samples.length,
  };
}

/** Runs `fn` `warmup` times unmeasured, then `runs` times measured. */
export async function time(fn: () => Promise<unknown>, runs: number, warmup = 2): Promise<Timing> {
  for (let i = 0; i < warmup; i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await fn();
    samples.push(performance.now() - start);
  }
  return summarize(samples);
}

/**
 * Times several alternatives in turn (a, b, a, b, …) after `warmup` unmeasured rounds, so drift of a noisy
 * machine (other processes, CPU frequency) falls on all of them alike.
 */
export async function timeInterleaved(fns: (() => Promise<unknown>)[], runs: number, warmup = 2): Promise<Timing[]> {
  for (let i = 0; i < warmup; i++) for (const fn of fns) await fn();
  const samples = fns.map(() => [] as number[]);
  for (let i = 0; i < runs; i++) {
    for (const [j, fn] of fns.entries()) {
      const start = performance.now();
      await fn();
      samples[j]!.push(performance.now() - start);
    }
  }
  return samples.map(summarize);
}
