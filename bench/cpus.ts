import { spawnSync } from 'node:child_process';

/** The CPUs a process may run on, as taskset lists them (e.g. `0-1`); null where taskset cannot tell. */
export function affinityOf(pid: number): string | null {
  const result = spawnSync('taskset', ['-c', '-p', String(pid)], { encoding: 'utf8' });
  return result.status === 0 ? (result.stdout.trim().split(': ').at(-1) ?? null) : null;
}

/** Confines every thread of a process (and the threads they start) to `cpus` (e.g. `0`); whether it could. */
export function pin(pid: number, cpus: string): boolean {
  return spawnSync('taskset', ['-a', '-c', '-p', cpus, String(pid)], { stdio: 'ignore' }).status === 0;
}
