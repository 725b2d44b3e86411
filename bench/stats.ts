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

/** To a tenth, as the tables print figures. */
const round = (n: number) => Math.round(n * 10) / 10;

/** How long one call of `fn` took, in ms. */
async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

export function summarize(samples: number[]): Timing {
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
  for (let i = 0; i < runs; i++) samples.push(await timed(fn));
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
    for (const [j, fn] of fns.entries()) samples[j]!.push(await timed(fn));
  }
  return samples.map(summarize);
}

/** Two alternatives timed in pairs, and how much longer the first took than the second within each pair. */
export interface PairedTiming {
  first: Timing;
  second: Timing;
  /** Per pair, (first − second) / second in %: the median, and the middle half's bounds. */
  extra: { median: number; p25: number; p75: number };
}

/**
 * Times two alternatives in pairs (their order swapped every pair, so neither always runs after the other) and
 * compares them within each pair: drift of a noisy machine that spans pairs cancels out of the comparison.
 */
export async function timePaired(
  first: () => Promise<unknown>,
  second: () => Promise<unknown>,
  runs: number,
  warmup = 1,
): Promise<PairedTiming> {
  for (let i = 0; i < warmup; i++) for (const fn of [first, second]) await fn();
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < runs; i++) {
    if (i % 2 === 0) {
      a.push(await timed(first));
      b.push(await timed(second));
    } else {
      b.push(await timed(second));
      a.push(await timed(first));
    }
  }
  const extra = a.map((x, i) => ((x - b[i]!) / b[i]!) * 100);
  return {
    first: summarize(a),
    second: summarize(b),
    extra: {
      median: round(percentile(extra, 50)),
      p25: round(percentile(extra, 25)),
      p75: round(percentile(extra, 75)),
    },
  };
}
