import { afterEach, describe, expect, it } from 'vitest';
import { Supervisor } from '../../local/supervisor.js';
import { until } from '../stack.js';

// A part that prints its START_KIND, says it is ready over IPC and then stays up until killed.
const PART = `console.log('kind=' + (process.env.START_KIND ?? 'none')); process.send({ type: 'ready' }); setInterval(() => {}, 1000);`;

let supervisor: Supervisor | undefined;
afterEach(async () => {
  await supervisor?.stop(1000);
  supervisor = undefined;
});

describe('Supervisor', () => {
  it('adds restartEnv to the environment of a restart, not of the first start', async () => {
    const lines: string[] = [];
    supervisor = new Supervisor({ write: (line) => lines.push(line), restartDelayMs: 50 });
    await supervisor.start({
      name: 'part',
      command: process.execPath,
      args: ['-e', PART],
      env: { PATH: process.env.PATH, START_KIND: 'first' },
      restartEnv: { START_KIND: 'restart' },
    });
    await until(
      async () => (lines.includes('[part] kind=first') ? true : undefined),
      10_000,
      () => lines.join('\n'),
    );
    process.kill(-supervisor.pids().part!, 'SIGKILL');
    await until(
      async () => (lines.some((line) => line.startsWith('[supervisor] part is back after')) ? true : undefined),
      10_000,
      () => lines.join('\n'),
    );
    await supervisor.whenReady('part');
    expect(lines.filter((line) => line.startsWith('[part] kind='))).toEqual([
      '[part] kind=first',
      '[part] kind=restart',
    ]);
  });
});
