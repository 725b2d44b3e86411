import { vi } from 'vitest';

/** One CloudWatch embedded-metric-format line: the metric values by name, plus the `_aws` metadata. */
export type EmfRecord = Record<string, unknown> & { _aws: { CloudWatchMetrics: { Metrics: { Name: string }[] }[] } };

/**
 * Runs `work` and returns its result with the JSON lines printed to stdout meanwhile (Powertools writes its log
 * lines and its EMF metric lines there): `emf` are the metric lines, `logs` the others. They are kept, not printed.
 */
export async function captureJsonLines<T>(
  work: () => Promise<T>,
): Promise<{ result: T; emf: EmfRecord[]; logs: Record<string, unknown>[] }> {
  const lines: Record<string, unknown>[] = [];
  const write = process.stdout.write.bind(process.stdout) as (chunk: string | Uint8Array) => boolean;
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    const text = String(chunk);
    if (!text.startsWith('{')) return write(chunk);
    for (const line of text.split('\n'))
      if (line.trim() !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
    return true;
  });
  try {
    const result = await work();
    return {
      result,
      emf: lines.filter((l): l is EmfRecord => '_aws' in l),
      logs: lines.filter((l) => !('_aws' in l)),
    };
  } finally {
    spy.mockRestore();
  }
}

/** The value of a metric in the one EMF line that carries it (fails when none or several do). */
export function emfMetric(emf: EmfRecord[], name: string): unknown {
  const lines = emf.filter((line) => name in line);
  if (lines.length !== 1) throw new Error(`expected one EMF line with ${name}, got ${lines.length}`);
  return lines[0]![name];
}
