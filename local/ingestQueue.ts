import { randomUUID } from 'node:crypto';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { documentKeyOf } from '../shared/pipeline/metadata.js';
import type { S3EventNotification } from './s3Server.js';

/** How one invocation ended: the function ran (maybe failing), or it could not be reached at all. */
export type InvokeResult = { ok: true; body: string } | { ok: false; error: string };

/** A message that failed maxReceiveCount times (or outlived the retention): what the dead-letter queue keeps. */
export interface DeadLetter {
  time: string;
  messageId: string;
  keys: string[];
  receiveCount: number;
  error: string;
  body: string;
}

export interface IngestQueueOptions {
  /** Runs the ingest function once with a batch; throws when it cannot be reached (the functions are down). */
  invoke: (event: SQSEvent) => Promise<InvokeResult>;
  /** Keeps a message that will not be retried again (the local dead-letter queue). */
  onDeadLetter: (dead: DeadLetter) => Promise<void>;
  log: (line: string) => void;
  /** Most messages per invocation (the event source mapping's BatchSize). @default 10 */
  batchSize?: number;
  /** How long a partial batch waits for more messages (MaximumBatchingWindowInSeconds). @default 500 */
  batchWindowMs?: number;
  /** Receives before a message goes to the dead-letter queue (the redrive policy). @default 3 */
  maxReceiveCount?: number;
  /** How long a failed message stays invisible after receive n (the last value repeats). @default [1000, 2000] */
  visibilityTimeoutsMs?: number[];
  /** Invocations at once (the mapping's maximum concurrency). @default 10 */
  concurrency?: number;
  /** How long a message waits for unreachable functions before it is dead-lettered. @default 600000 */
  retentionMs?: number;
  /** Wait between tries while the functions cannot be reached. @default 1000 */
  unreachableDelayMs?: number;
}

/**
 * What the queue did, as SQS would bill it: one SendMessage per S3 notification, one ReceiveMessage per batch
 * delivered, one DeleteMessageBatch per batch with a message that succeeded (what the event source mapping
 * makes), and the ingest function's invocations with their summed duration, each rounded up to the millisecond.
 */
export interface IngestQueueStats {
  sent: number;
  receives: number;
  deletes: number;
  invocations: number;
  billedMs: number;
}

interface Message {
  messageId: string;
  body: string;
  /** `bucket/key` (URL-encoded as S3 sends it) of each record, for logs. */
  keys: string[];
  /** The documents the records are about (a sidecar's is its document's), for per-document ordering. */
  documents: string[];
  sentAt: number;
  visibleAt: number;
  receiveCount: number;
}

/** S3 → SQS sends one message per notification: the notification as its JSON body. */
function messageOf(event: S3EventNotification): Message {
  const now = Date.now();
  return {
    messageId: randomUUID(),
    body: JSON.stringify(event),
    keys: event.Records.map((r) => `${r.s3.bucket.name}/${r.s3.object.key}`),
    documents: event.Records.map((r) => `${r.s3.bucket.name}/${documentKeyOf(r.s3.object.key)}`),
    sentAt: now,
    visibleAt: now,
    receiveCount: 0,
  };
}

/** One SQS message as Lambda's SQS event source mapping delivers it (also what tests and benchmarks send). */
export function sqsRecord(message: {
  messageId: string;
  body: string;
  receiveCount?: number;
  sentAt?: number;
}): SQSRecord {
  const { messageId, body, receiveCount = 1, sentAt = Date.now() } = message;
  return {
    messageId,
    receiptHandle: `local-${messageId}-${receiveCount}`,
    body,
    attributes: {
      ApproximateReceiveCount: String(receiveCount),
      SentTimestamp: String(sentAt),
      SenderId: 'local-s3',
      ApproximateFirstReceiveTimestamp: String(sentAt),
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:local:000000000000:ingest',
    awsRegion: 'local',
  };
}

/** Message ids the function reported as failed (ReportBatchItemFailures); any other answer means none. */
function reportedFailures(body: string): Set<string> {
  try {
    const response = JSON.parse(body) as Partial<SQSBatchResponse> | null;
    return new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
  } catch {
    return new Set();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The local stand-in for S3 → SQS → Lambda: notifications become queue messages, delivered to the ingest
 * function in batches (up to batchSize, after at most batchWindowMs), a bounded number of batches at once.
 * Messages the function reports as failed come back after a visibility timeout and, after maxReceiveCount
 * receives, go to the dead-letter queue where a user sees them. While the functions cannot be reached
 * (restarting), messages wait without counting receives. Messages for one document (its own key or its
 * metadata sidecar's) are never in two batches at once, so two uploads of one document never race each other.
 */
export class IngestQueue {
  readonly #options: Required<IngestQueueOptions>;
  readonly #queue: Message[] = [];
  readonly #busyKeys = new Set<string>();
  #active = 0;
  #timer: NodeJS.Timeout | null = null;
  #idleWaiters: (() => void)[] = [];
  readonly #stats: Omit<IngestQueueStats, 'receives'> = { sent: 0, deletes: 0, invocations: 0, billedMs: 0 };

  constructor(options: IngestQueueOptions) {
    this.#options = {
      batchSize: 10,
      batchWindowMs: 500,
      maxReceiveCount: 3,
      visibilityTimeoutsMs: [1000, 2000],
      concurrency: 10,
      retentionMs: 600_000,
      unreachableDelayMs: 1000,
      ...options,
    };
  }

  /** Sends an S3 notification to the queue. */
  send(event: S3EventNotification): void {
    this.#queue.push(messageOf(event));
    this.#stats.sent++;
    this.#pump();
  }

  /** What the queue has done since it started. */
  stats(): IngestQueueStats {
    // Each invocation is the answer to one ReceiveMessage of its batch.
    return { ...this.#stats, receives: this.#stats.invocations };
  }

  /** Messages queued or in flight. */
  get pending(): number {
    return this.#queue.length + this.#active;
  }

  /** Resolves once every message has been delivered or dead-lettered. */
  idle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  #pump(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    const { batchSize, batchWindowMs, concurrency } = this.#options;
    while (this.#active < concurrency) {
      const now = Date.now();
      const ready = this.#queue.filter((m) => m.visibleAt <= now && this.#free(m));
      if (ready.length === 0) break;
      // A partial batch waits for the window to fill it, counted from when its oldest message became ready.
      const windowEnds = ready.reduce((t, m) => Math.min(t, Math.max(m.sentAt, m.visibleAt)), Infinity) + batchWindowMs;
      if (ready.length < batchSize && now < windowEnds) {
        this.#wake(windowEnds - now);
        return;
      }
      const batch: Message[] = [];
      const keys = new Set<string>();
      for (const message of ready) {
        if (batch.length === batchSize) break;
        batch.push(message);
        for (const key of message.documents) keys.add(key);
      }
      for (const message of batch) this.#queue.splice(this.#queue.indexOf(message), 1);
      for (const key of keys) this.#busyKeys.add(key);
      this.#active++;
      void this.#deliver(batch).finally(() => {
        for (const key of keys) this.#busyKeys.delete(key);
        this.#active--;
        this.#pump();
        if (this.pending === 0) for (const resolve of this.#idleWaiters.splice(0)) resolve();
      });
    }
    // Messages still invisible (waiting out a visibility timeout): look again when the first one shows. One that
    // became visible since the loop looked is picked up by a wake of 0 ms (a clock tick between the two looks
    // once left it waiting for nothing); a message held by a busy document is looked at when that batch ends.
    if (this.#active >= concurrency) return;
    const waiting = this.#queue.filter((m) => this.#free(m));
    if (waiting.length > 0) this.#wake(waiting.reduce((t, m) => Math.min(t, m.visibleAt), Infinity) - Date.now());
  }

  /** Whether no batch in flight holds one of the message's documents. */
  #free(message: Message): boolean {
    return message.documents.every((k) => !this.#busyKeys.has(k));
  }

  #wake(ms: number): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#pump(), Math.max(0, ms));
    this.#timer.unref();
  }

  async #deliver(batch: Message[]): Promise<void> {
    const { invoke, retentionMs, unreachableDelayMs, log } = this.#options;
    const keys = batch.flatMap((m) => m.keys).join(', ');
    let result: InvokeResult;
    for (;;) {
      try {
        for (const message of batch) message.receiveCount++;
        const start = performance.now();
        result = await invoke({ Records: batch.map(sqsRecord) });
        this.#stats.invocations++;
        this.#stats.billedMs += Math.ceil(performance.now() - start);
        break;
      } catch (error) {
        // Not a failure of the function: it is not there to run. Hold the batch, uncounted.
        for (const message of batch) message.receiveCount--;
        const expired = batch.filter((m) => Date.now() - m.sentAt > retentionMs);
        if (expired.length === batch.length) {
          await this.#failed(batch, `ingest function unreachable: ${(error as Error).message}`, true);
          return;
        }
        await sleep(unreachableDelayMs);
      }
    }
    if (!result.ok) {
      await this.#failed(batch, result.error, false);
      return;
    }
    const failedIds = reportedFailures(result.body);
    const failed = batch.filter((m) => failedIds.has(m.messageId));
    if (failed.length < batch.length) this.#stats.deletes++;
    log(`ingest ← ${batch.length} message(s) [${keys}]: ${failed.length === 0 ? 'ok' : `${failed.length} failed`}`);
    if (failed.length > 0) await this.#failed(failed, 'reported failed by the function (see its log)', false);
  }

  /** Failed messages come back after their visibility timeout, or go to the dead-letter queue. */
  async #failed(messages: Message[], error: string, deadNow: boolean): Promise<void> {
    const { maxReceiveCount, visibilityTimeoutsMs, onDeadLetter, log } = this.#options;
    for (const message of messages) {
      if (deadNow || message.receiveCount >= maxReceiveCount) {
        log(
          `ingest ← [${message.keys.join(', ')}]: FAILED after ${message.receiveCount} receive(s): ${error.slice(0, 300)}`,
        );
        const dead = {
          time: new Date().toISOString(),
          messageId: message.messageId,
          keys: message.keys,
          receiveCount: message.receiveCount,
          error,
          body: message.body,
        };
        // A dead letter that cannot be recorded (disk full) is still printed whole, and the other messages go on.
        await onDeadLetter(dead).catch((cause: unknown) =>
          log(`ingest ← could not record the dead letter (${(cause as Error).message}): ${JSON.stringify(dead)}`),
        );
        continue;
      }
      const delay = visibilityTimeoutsMs[Math.min(message.receiveCount - 1, visibilityTimeoutsMs.length - 1)]!;
      log(`ingest ← [${message.keys.join(', ')}]: failed (${error.slice(0, 200)}); visible again in ${delay} ms`);
      message.visibleAt = Date.now() + delay;
      this.#queue.push(message);
    }
  }
}
