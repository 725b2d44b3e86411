import { RerankUnavailableError, ShardError } from '../errors.js';
import type { Log } from '../log.js';
import type { CrossEncoder, Pair, ScoreOptions, ShardInvoker } from '../ports.js';
import { cutShards, MAX_SHARD_PAIRS, mergeShardScores, type ShardPlan } from './shards.js';

/** What happened to one shard, for metrics. */
export interface ShardOutcome {
  pairs: number;
  /** Invocations made (1 or 2). */
  attempts: number;
  /** true when both invocations failed and the shard was scored in-process. */
  fellBack: boolean;
}

export interface FanOutCrossEncoderOptions extends ShardPlan {
  /** Scores small sets and the shards whose invocations failed; its model is the scoring function's. */
  local: CrossEncoder;
  invoker: ShardInvoker;
  /** Longest wait for one invocation before it is abandoned and tried again. @default 4000 */
  shardTimeoutMs?: number;
  /** Deadline of a whole fanned-out score() call, fallbacks included. @default 10000 */
  timeoutMs?: number;
  /** @default drops everything */
  log?: Log;
  /** Called once per shard after it was scored (metrics: fan-out fallbacks). */
  onShard?: (outcome: ShardOutcome) => void;
}

/**
 * A cross-encoder that spreads a large candidate set over concurrent invocations of a scoring function and merges
 * the scores back in input order; sets smaller than two shards are scored in-process by `local`, as without it.
 * A shard whose invocation fails or times out is invoked once more, then scored in-process: the scores are always
 * complete, whatever the invocations did. Only the whole call's deadline (`timeoutMs`) fails it.
 * Built from config by shared/wiring/crossEncoder.ts (RERANK_FANOUT, RERANK_FANOUT_MIN_PAIRS, SCORING_FUNCTION_NAME): 100
 * candidates with the defaults are four invocations of about 25 pairs at once.
 */
export class FanOutCrossEncoder implements CrossEncoder {
  readonly name: string;
  readonly local: CrossEncoder;
  readonly #options: Required<Omit<FanOutCrossEncoderOptions, 'onShard'>> & Pick<FanOutCrossEncoderOptions, 'onShard'>;

  constructor(options: FanOutCrossEncoderOptions) {
    this.name = `fanout:${options.local.name}`;
    this.local = options.local;
    this.#options = {
      shardTimeoutMs: 4000,
      timeoutMs: 10_000,
      maxPairsPerShard: MAX_SHARD_PAIRS,
      log: { info() {}, warn() {}, error() {} },
      ...options,
    };
  }

  async score(pairs: Pair[], options: ScoreOptions = {}): Promise<number[]> {
    const shards = cutShards(pairs, this.#options);
    // A token bound is checked while encoding, over the whole request: only the in-process encoder can do that.
    if (shards.length <= 1 || options.maxTokens !== undefined) return this.local.score(pairs, options);
    const { timeoutMs } = this.#options;
    const deadline = Date.now() + timeoutMs;
    // Ended when the call ends either way, so a failed call leaves no shard running behind it.
    const call = deadlineSignal(timeoutMs, options.signal);
    const { signal } = call;
    try {
      const scores = await Promise.all(
        shards.map((shard) =>
          this.#scoreShard(
            shard.map((i) => pairs[i]!),
            deadline,
            signal,
          ),
        ),
      );
      return mergeShardScores(pairs.length, shards, scores);
    } catch (error) {
      if (!signal.aborted) throw error;
      throw new RerankUnavailableError(
        call.timedOut ? `fanned-out scoring missed its ${timeoutMs} ms deadline` : 'scoring aborted',
        { cause: error },
      );
    } finally {
      call.end();
    }
  }

  /**
   * Two invocations at most, then the in-process encoder. Each invocation waits at most the shard timeout and at
   * most a third (then half) of the time left, so that a hung one never leaves the retry or the fallback no time,
   * whatever RERANK_SHARD_TIMEOUT_MS is against RERANK_TIMEOUT_MS.
   */
  async #scoreShard(pairs: Pair[], deadline: number, signal: AbortSignal): Promise<number[]> {
    const { invoker, shardTimeoutMs, log, onShard } = this.#options;
    let attempts = 0;
    while (attempts < 2) {
      attempts++;
      const share = Math.floor((deadline - Date.now()) / (3 - attempts + 1));
      const started = Date.now();
      const attemptDeadline = started + Math.min(shardTimeoutMs, share);
      const attempt = deadlineSignal(Math.max(1, attemptDeadline - Date.now()), signal);
      const attemptSignal = attempt.signal;
      try {
        const { scores } = await invoker.invoke(pairs, { deadline: attemptDeadline, signal: attemptSignal });
        checkScores(scores, pairs.length);
        onShard?.({ pairs: pairs.length, attempts, fellBack: false });
        return scores;
      } catch (error) {
        signal.throwIfAborted();
        const shardError = error instanceof ShardError ? error : undefined;
        log.warn('scoring shard failed', {
          pairs: pairs.length,
          attempt: attempts,
          requestId: shardError?.requestId,
          reason: attemptSignal.aborted
            ? `no answer within ${Math.round(attemptDeadline - started)} ms`
            : (error as Error).message,
        });
        if (shardError && !shardError.retryable) break;
      } finally {
        attempt.end();
      }
    }
    log.warn('scoring shard in-process after its invocations failed', { pairs: pairs.length, attempts });
    const scores = await this.local.score(pairs, { signal });
    onShard?.({ pairs: pairs.length, attempts, fellBack: true });
    return scores;
  }
}

/** A signal with a deadline of its own, aborted too when its parent aborts or when it is ended. */
interface Deadline {
  signal: AbortSignal;
  /** true once the deadline, not the parent or end(), aborted it. */
  readonly timedOut: boolean;
  /** Stops the timer and aborts what still listens (a call's other shards, an attempt's request). */
  end(): void;
}

/**
 * The deadline of a fanned-out call or of one attempt. A plain timer rather than AbortSignal.any with
 * AbortSignal.timeout: on Node.js 20 a timeout signal held only by any() can be garbage-collected before it fires,
 * and the wait then runs to the outer deadline (seen in this repository's tests).
 */
function deadlineSignal(ms: number, parent?: AbortSignal): Deadline {
  const controller = new AbortController();
  let timedOut = false;
  const onParent = () => controller.abort(parent?.reason);
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new DOMException(`no answer within ${ms} ms`, 'TimeoutError'));
  }, ms);
  if (parent?.aborted) onParent();
  else parent?.addEventListener('abort', onParent, { once: true });
  return {
    signal: controller.signal,
    get timedOut() {
      return timedOut;
    },
    end() {
      clearTimeout(timer);
      parent?.removeEventListener('abort', onParent);
      controller.abort(new DOMException('the call ended', 'AbortError'));
    },
  };
}

/** A shard's answer must hold one finite score per pair: anything else is a scoring function outside its contract. */
function checkScores(scores: unknown, expected: number): asserts scores is number[] {
  if (!Array.isArray(scores) || scores.length !== expected || !scores.every((s) => Number.isFinite(s))) {
    const got = Array.isArray(scores) ? `${scores.length} values` : typeof scores;
    throw new ShardError(`scoring function answered ${got} for ${expected} pairs`);
  }
}
