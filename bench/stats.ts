import { percentile } from '../shared/stats.js';

/** Summary of repeated timings in milliseconds. */
export interface Timing {
  median: number;
  p90: number;
  min: number;
  runs: number;
}

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
