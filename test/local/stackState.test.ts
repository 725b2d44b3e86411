import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { StackAlreadyRunningError, cleanUpPreviousRun, ensurePortsFree, writeState } from '../../local/stackState.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'stack-state-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const preload = path.resolve(import.meta.dirname, '..', '..', 'local', 'exitWithParent.cjs');

/**
 * A process that looks like one of the stack's parts (its command line carries the preload), in its own group;
 * `exited` resolves once it has ended.
 */
function fakePart(): { pid: number; exited: Promise<void> } {
  const child = spawn(process.execPath, ['--require', preload, '-e', 'setInterval(() => {}, 1000)'], {
    detached: true,
    stdio: 'ignore',
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.unref();
  return { pid: child.pid!, exited };
}
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('stack state', () => {
  it('stops the parts a killed supervisor left running and forgets the run', async () => {
    const file = path.join(dir, 'left-over.json');
    const part = fakePart();
    writeState(file, { supervisorPid: 2 ** 22 + 1, parts: { s3: part.pid }, startedAt: 'then' });
    const cleaned = cleanUpPreviousRun(file);
    expect(cleaned).toEqual([`s3 (pid ${part.pid})`]);
    const ended = await Promise.race([
      part.exited.then(() => true),
      new Promise<false>((r) => setTimeout(() => r(false), 5000)),
    ]);
    expect(ended).toBe(true);
    expect(alive(part.pid)).toBe(false);
    expect(existsSync(file)).toBe(false);
  });

  it('refuses to start over a stack whose supervisor is alive', () => {
    const file = path.join(dir, 'running.json');
    const supervisor = fakePart();
    writeState(file, { supervisorPid: supervisor.pid, parts: {}, startedAt: 'now' });
    try {
      expect(() => cleanUpPreviousRun(file)).toThrow(StackAlreadyRunningError);
      expect(() => cleanUpPreviousRun(file)).toThrow(`kill ${supervisor.pid}`);
    } finally {
      process.kill(-supervisor.pid, 'SIGKILL');
    }
  });

  it('leaves a recycled pid of another program alone', () => {
    const file = path.join(dir, 'recycled.json');
    const other = spawn('sleep', ['30'], { detached: true, stdio: 'ignore' });
    writeState(file, { supervisorPid: other.pid!, parts: { s3: other.pid! }, startedAt: 'then' });
    try {
      expect(cleanUpPreviousRun(file)).toEqual([]);
      expect(alive(other.pid!)).toBe(true);
    } finally {
      other.kill('SIGKILL');
    }
  });

  it('names the port and its variable when a port is taken', async () => {
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as net.AddressInfo;
    try {
      await expect(ensurePortsFree([{ port, variable: 'HTTP_PORT' }], '127.0.0.1', 300)).rejects.toThrow(
        `port ${port} (HTTP_PORT) is in use by another program; stop it or set HTTP_PORT to a free port`,
      );
    } finally {
      server.close();
    }
  });
});
