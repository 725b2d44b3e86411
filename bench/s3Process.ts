import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { PartMessage } from '../local/partMessages.js';

/**
 * The local S3 server in its own process, as `npm start` runs it (local/s3Part.ts): on AWS, S3 is not in the
 * function's process, and an in-process server would answer LanceDB's requests only when the benchmark's own work
 * (embedding) leaves the event loop free, putting I/O that overlaps that work on the critical path.
 */
export async function startS3Process(): Promise<{
  endpoint: string;
  pid: number;
  credentials: { accessKeyId: string; secretAccessKey: string };
  close: () => Promise<void>;
}> {
  const directory = mkdtempSync(path.join(os.tmpdir(), 'bench-s3-'));
  const child = fork(path.join('local', 's3Part.ts'), [], {
    // Stops when this process dies (its IPC channel closes), as the parts of `npm start` do.
    execArgv: ['--require', path.resolve('local', 'exitWithParent.cjs'), '--import', 'tsx'],
    env: { ...process.env, S3_PORT: '0', S3_DATA_DIR: directory },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const endpoint = await new Promise<string>((resolve, reject) => {
    child.on('message', (message: PartMessage) => {
      if (message.type === 'ready') resolve(message.url);
    });
    child.once('exit', (code) => reject(new Error(`the S3 server exited (${code}) before it was ready`)));
  });
  return {
    endpoint,
    pid: child.pid!,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    close: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
