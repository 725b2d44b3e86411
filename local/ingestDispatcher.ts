import type { S3EventNotification } from './s3Server.js';

/** How one invocation ended: the function ran (maybe failing), or it could not be reached at all. */
export type InvokeResult = { ok: true; body: string } | { ok: false; error: string };

export interface FailedEvent {
  time: string;
  keys: string[];
  attempts: number;
  error: string;
  event: S3EventNotification;
}

export interface IngestDispatcherOptions {
  /** Runs the ingest function once; throws when it cannot be reached (the functions are down). */
  invoke: (event: S3EventNotification) => Promise<InvokeResult>;
  /** Records an event that still failed after its retries (the local on-failure destination). */
  onFailure: (failed: FailedEvent) => Promise<void>;
  log: (line: string) => void;
  /** Retries after a function error, as Lambda retries asynchronous invocations. @default 2 */
  retries?: number;
  /** Wait before retry n (the last value repeats). Lambda waits about 1 and 2 minutes; locally seconds do. @default [1000, 2000] */
  retryDelaysMs?: number[];
  /** Invocations at once (the function's reserved concurrency on AWS). @default 10 */
  concurrency?: number;
  /** How long an event waits for unreachable functions before it is recorded as failed. @default 600000 */
  maxEventAgeMs?: number;
  /** Wait between tries while the functions cannot be reached. @default 1000 */
  unreachableDelayMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Keys of an event, for per-key ordering and logs (still URL-encoded, as S3 sends them). */
const keysOf = (event: S3EventNotification) => event.Records.map((r) => `${r.s3.bucket.name}/${r.s3.object.key}`);

/**
 * Delivers S3 notifications to the ingest function the way Lambda delivers asynchronous invocations: a
 * bounded number at once, a function error retried twice with a pause, then recorded as failed where a
 * user sees it, and events that cannot be delivered yet (the functions are restarting) held until they can.
 * Events for one key run one after another, so two uploads of one document never race each other.
 */
export class IngestDispatcher {
  readonly #options: Required<IngestDispatcherOptions>;
  readonly #queue: S3EventNotification[] = [];
  readonly #busyKeys = new Set<string>();
  #active = 0;
  #idleWaiters: (() => void)[] = [];

  constructor(options: IngestDispatcherOptions) {
    this.#options = {
      retries: 2,
      retryDelaysMs: [1000, 2000],
      concurrency: 10,
      maxEventAgeMs: 600_000,
      unreachableDelayMs: 1000,
      ...options,
    };
  }

  enqueue(event: S3EventNotification): void {
    this.#queue.push(event);
    this.#pump();
  }

  /** Events queued or running. */
  get pending(): number {
    return this.#queue.length + this.#active;
  }

  /** Resolves once every queued event has been delivered or recorded as failed. */
  idle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  #pump(): void {
    while (this.#active < this.#options.concurrency) {
      const index = this.#queue.findIndex((e) => keysOf(e).every((k) => !this.#busyKeys.has(k)));
      if (index === -1) break;
      const [event] = this.#queue.splice(index, 1);
      const keys = keysOf(event!);
      for (const key of keys) this.#busyKeys.add(key);
      this.#active++;
      void this.#deliver(event!).finally(() => {
        for (const key of keys) this.#busyKeys.delete(key);
        this.#active--;
        this.#pump();
        if (this.pending === 0) for (const resolve of this.#idleWaiters.splice(0)) resolve();
      });
    }
  }

  async #deliver(event: S3EventNotification): Promise<void> {
    const { invoke, retries, retryDelaysMs, maxEventAgeMs, unreachableDelayMs, log } = this.#options;
    const keys = keysOf(event);
    const since = Date.now();
    let failures = 0;
    let lastError = '';
    for (;;) {
      let result: InvokeResult;
      try {
        result = await invoke(event);
      } catch (error) {
        // Not a failure of the function: it is not there to run. Hold the event, as Lambda's queue does.
        lastError = `ingest function unreachable: ${(error as Error).message}`;
        if (Date.now() - since > maxEventAgeMs) break;
        await sleep(unreachableDelayMs);
        continue;
      }
      if (result.ok) {
        log(`ingest ← ${keys.join(', ')}: ${result.body.slice(0, 300)}`);
        return;
      }
      failures++;
      lastError = result.error;
      if (failures > retries) break;
      const delay = retryDelaysMs[Math.min(failures - 1, retryDelaysMs.length - 1)]!;
      log(
        `ingest ← ${keys.join(', ')}: failed (${result.error.slice(0, 200)}); retry ${failures} of ${retries} in ${delay} ms`,
      );
      await sleep(delay);
    }
    log(`ingest ← ${keys.join(', ')}: FAILED after ${failures} attempt(s): ${lastError.slice(0, 300)}`);
    await this.#options.onFailure({
      time: new Date().toISOString(),
      keys,
      attempts: failures,
      error: lastError,
      event,
    });
  }
}
