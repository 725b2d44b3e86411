import { spawn, type ChildProcess } from 'node:child_process';
import { fixtureEnv } from './helpers.js';

/** Ports and data folder of one local stack under test (uncommon fixed ports: each test file its own). */
export interface StackSettings {
  S3_PORT: string;
  HTTP_PORT: string;
  LAMBDA_PORT: string;
  ENDPOINT_PORT: string;
  STACK_DATA_DIR: string;
}

export function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` until it returns a value (errors count as "not yet"). */
export async function until<T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting: ${what()}`);
    await sleep(250);
  }
}

/** `npm start` as a user runs it, in its own process group, with fixture models and the given settings. */
export class StackProcess {
  output = '';
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;

  constructor(settings: StackSettings, extraEnv: Record<string, string> = {}) {
    this.child = spawn('npm', ['start'], {
      detached: true,
      env: {
        ...process.env,
        ...fixtureEnv({ RERANKER_DTYPE: 'fp32' }),
        ...settings,
        POWERTOOLS_LOG_LEVEL: 'WARN',
        ...extraEnv,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.on('data', (d: Buffer) => (this.output += d.toString()));
    this.child.stderr!.on('data', (d: Buffer) => (this.output += d.toString()));
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Resolves with the match once the output shows `pattern`. */
  waitFor(pattern: RegExp, timeoutMs = 150_000, from = 0): Promise<RegExpMatchArray> {
    return until(
      async () => this.output.slice(from).match(pattern) ?? undefined,
      timeoutMs,
      () => `${pattern} in:\n${this.output.slice(-3000)}`,
    );
  }

  /** Stops the stack as Ctrl-C does, then makes sure nothing of its group is left. */
  async stop(): Promise<void> {
    if (!groupAlive(this.pid)) return;
    process.kill(-this.pid, 'SIGINT');
    await Promise.race([this.exited, sleep(15_000)]);
    if (groupAlive(this.pid)) process.kill(-this.pid, 'SIGKILL');
  }
}
