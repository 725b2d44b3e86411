import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { isPartMessage, type PartMessage } from './partMessages.js';

/** One long-lived process of the local stack. */
export interface PartSpec {
  /** Short name used in logs (`s3`, `endpoint`, `functions`). */
  name: string;
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  /** Added to `env` when the part starts again after it was once ready (a restart, not the first start). */
  restartEnv?: NodeJS.ProcessEnv;
  /** @default this process's working directory */
  cwd?: string;
  /**
   * Resolves true once the part serves. Parts that say so over IPC (`{type: 'ready'}`) need no probe.
   * @default waits for the part's `ready` message
   */
  probe?: () => Promise<boolean>;
  onMessage?: (message: PartMessage) => void;
}

export type PartState = 'starting' | 'ready' | 'restarting' | 'stopped';

export interface SupervisorOptions {
  /** Where part output and lifecycle lines go. */
  write: (line: string) => void;
  /** Called with the process group id each time a part (re)starts, so a later run can clean up after a crash. */
  onSpawn?: (name: string, pgid: number) => void;
  /** First restart delay; doubles for each quick crash in a row. @default 500 */
  restartDelayMs?: number;
  /** Longest restart delay. @default 5000 */
  maxRestartDelayMs?: number;
  /** A part that ran this long before dying is restarted at once again. @default 30000 */
  stableAfterMs?: number;
  /** A part not ready after this long is killed and restarted. @default 180000 */
  startTimeoutMs?: number;
}

interface Running {
  spec: PartSpec;
  child?: ChildProcess;
  state: PartState;
  startedAt: number;
  quickCrashes: number;
  timer?: NodeJS.Timeout;
  readyWaiters: (() => void)[];
  /** Settles the first start: a part that dies before it was ever ready is a configuration problem, not a crash. */
  firstStart?: { resolve: () => void; reject: (error: Error) => void };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (!pid) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

/**
 * Runs each part in its own process group, restarts a part that dies (with backoff) and logs why, and stops
 * every group on stop(). Parts are started with `local/exitWithParent.cjs` preloaded, so they also stop when
 * the supervisor itself is killed.
 */
export class Supervisor {
  readonly #parts = new Map<string, Running>();
  readonly #options: Required<Omit<SupervisorOptions, 'onSpawn'>> & Pick<SupervisorOptions, 'onSpawn'>;
  #stopping = false;

  constructor(options: SupervisorOptions) {
    this.#options = {
      restartDelayMs: 500,
      maxRestartDelayMs: 5000,
      stableAfterMs: 30_000,
      startTimeoutMs: 180_000,
      ...options,
    };
  }

  /** Starts a part; resolves once it is ready, rejects if it exits before it ever was. */
  start(spec: PartSpec): Promise<void> {
    const running: Running = { spec, state: 'starting', startedAt: 0, quickCrashes: 0, readyWaiters: [] };
    this.#parts.set(spec.name, running);
    const started = new Promise<void>((resolve, reject) => (running.firstStart = { resolve, reject }));
    this.#spawn(running);
    return started;
  }

  state(name: string): PartState {
    return this.#parts.get(name)?.state ?? 'stopped';
  }

  /** Resolves when the part is (back) up. */
  whenReady(name: string): Promise<void> {
    const running = this.#parts.get(name);
    if (!running) return Promise.reject(new Error(`no part named ${name}`));
    if (running.state === 'ready') return Promise.resolve();
    return new Promise((resolve) => running.readyWaiters.push(resolve));
  }

  /** Process group ids of the running parts. */
  pids(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [name, running] of this.#parts) if (running.child?.pid) out[name] = running.child.pid;
    return out;
  }

  /** SIGTERM to every part's group, SIGKILL to those still alive after `graceMs`. */
  async stop(graceMs = 5000): Promise<void> {
    this.#stopping = true;
    const children = [...this.#parts.values()].flatMap((r) => {
      clearTimeout(r.timer);
      r.state = 'stopped';
      return r.child && r.child.exitCode === null && r.child.signalCode === null ? [r.child] : [];
    });
    const exited = children.map((child) => new Promise<void>((resolve) => child.once('exit', () => resolve())));
    for (const child of children) killGroup(child.pid, 'SIGTERM');
    await Promise.race([Promise.all(exited), sleep(graceMs)]);
    // Anything left in the groups (grandchildren included) goes now.
    for (const child of children) killGroup(child.pid, 'SIGKILL');
  }

  #spawn(running: Running): void {
    const { spec } = running;
    const { write } = this.#options;
    running.startedAt = Date.now();
    const child = spawn(spec.command, spec.args, {
      env: running.firstStart ? spec.env : { ...spec.env, ...spec.restartEnv },
      cwd: spec.cwd,
      detached: true, // its own process group, stopped as a whole
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    running.child = child;
    if (child.pid) this.#options.onSpawn?.(spec.name, child.pid);
    for (const stream of [child.stdout!, child.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => write(`[${spec.name}] ${line}`));
    }
    child.on('message', (message) => {
      if (!isPartMessage(message)) return;
      if (message.type === 'ready' && !spec.probe) this.#markReady(running, child);
      spec.onMessage?.(message);
    });
    child.on('error', (error) => write(`[supervisor] ${spec.name} could not start: ${error.message}`));
    child.on('exit', (code, signal) => this.#onExit(running, child, code, signal));
    if (spec.probe) void this.#probe(running, child);
    running.timer = setTimeout(() => {
      if (running.child === child && running.state !== 'ready') {
        write(`[supervisor] ${spec.name} not ready after ${this.#options.startTimeoutMs / 1000} s; restarting it`);
        killGroup(child.pid, 'SIGKILL');
      }
    }, this.#options.startTimeoutMs);
  }

  async #probe(running: Running, child: ChildProcess): Promise<void> {
    while (running.child === child && child.exitCode === null && !this.#stopping) {
      if (await running.spec.probe!().catch(() => false)) return this.#markReady(running, child);
      await sleep(200);
    }
  }

  #markReady(running: Running, child: ChildProcess): void {
    if (running.child !== child || this.#stopping) return;
    clearTimeout(running.timer);
    if (running.state === 'restarting') {
      this.#options.write(`[supervisor] ${running.spec.name} is back after ${Date.now() - running.startedAt} ms`);
    }
    running.state = 'ready';
    running.firstStart?.resolve();
    running.firstStart = undefined;
    for (const resolve of running.readyWaiters.splice(0)) resolve();
  }

  #onExit(running: Running, child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (running.child !== child) return;
    clearTimeout(running.timer);
    // Whatever the part left in its group (a stray grandchild holding a port) goes with it.
    killGroup(child.pid, 'SIGKILL');
    if (this.#stopping) return;
    if (running.firstStart) {
      running.state = 'stopped';
      running.firstStart.reject(
        new Error(`${running.spec.name} exited (${signal ?? `code ${code}`}) before it was ready`),
      );
      return;
    }
    const ranMs = Date.now() - running.startedAt;
    running.quickCrashes = ranMs >= this.#options.stableAfterMs ? 0 : running.quickCrashes + 1;
    const delay = Math.min(
      this.#options.maxRestartDelayMs,
      running.quickCrashes <= 1
        ? this.#options.restartDelayMs
        : this.#options.restartDelayMs * 2 ** (running.quickCrashes - 1),
    );
    running.state = 'restarting';
    this.#options.write(
      `[supervisor] ${running.spec.name} exited (${signal ?? `code ${code}`}) after ${Math.round(ranMs / 1000)} s; restarting in ${delay} ms`,
    );
    running.timer = setTimeout(() => this.#spawn(running), delay);
  }
}
