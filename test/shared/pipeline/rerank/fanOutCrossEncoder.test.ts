import { describe, expect, it } from 'vitest';
import { RerankUnavailableError } from '../../../../shared/pipeline/errors.js';
import { FanOutCrossEncoder, type ShardOutcome } from '../../../../shared/pipeline/rerank/fanOutCrossEncoder.js';
import type { Pair, CrossEncoder, ScoreOptions, ShardInvoker, ShardResult } from '../../../../shared/pipeline/ports.js';
import { ShardError } from '../../../../shared/pipeline/errors.js';

/** Pair i carries the number i in its passage; both fakes score a pair with that number, so any mix-up shows. */
const pairs = (count: number): Pair[] => Array.from({ length: count }, (_, i) => ['q', `passage ${i}`]);
const numberOf = ([, passage]: Pair) => Number(passage.split(' ')[1]);
const inOrder = (count: number) => Array.from({ length: count }, (_, i) => i);

/** The in-process encoder: records the sizes of the sets it scored. */
function fakeLocal(delayMs = 0): CrossEncoder & { calls: number[] } {
  const calls: number[] = [];
  return {
    name: 'fake-local',
    calls,
    async score(input: Pair[], options: ScoreOptions = {}) {
      calls.push(input.length);
      if (delayMs) await new Promise((resolve) => setTimeout(resolve, delayMs));
      options.signal?.throwIfAborted();
      return input.map(numberOf);
    },
  };
}

type Behaviour = (call: number, input: Pair[], signal: AbortSignal) => Promise<ShardResult>;
const scoresOf = (input: Pair[]): Promise<ShardResult> =>
  Promise.resolve({ scores: input.map(numberOf), requestId: 'r' });
const hang = (signal: AbortSignal): Promise<never> =>
  new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });

/** A scoring function whose n-th invocation (counted over all shards) behaves as `behaviour` says. */
function fakeInvoker(behaviour: Behaviour = (_, input) => scoresOf(input)) {
  const calls: { pairs: number; deadline: number }[] = [];
  const invoker: ShardInvoker = {
    invoke(input, { deadline, signal }) {
      calls.push({ pairs: input.length, deadline });
      return behaviour(calls.length, input, signal);
    },
  };
  return { invoker, calls };
}

function recordingLog() {
  const warnings: { message: string; extra: Record<string, unknown> }[] = [];
  return {
    warnings,
    log: {
      info() {},
      error() {},
      warn: (message: string, extra: Record<string, unknown> = {}) => warnings.push({ message, extra }),
    },
  };
}

const plan = { maxShards: 4, minPairsPerShard: 25 };

describe('FanOutCrossEncoder', () => {
  it('scores a set smaller than two shards in-process, invoking nothing', async () => {
    const local = fakeLocal();
    const { invoker, calls } = fakeInvoker();
    const encoder = new FanOutCrossEncoder({ local, invoker, ...plan });
    expect(await encoder.score(pairs(49))).toEqual(inOrder(49));
    expect(local.calls).toEqual([49]);
    expect(calls).toEqual([]);
  });

  it('scores 100 pairs in four concurrent invocations of about 25 and merges them in input order', async () => {
    const local = fakeLocal();
    let inFlight = 0;
    let mostInFlight = 0;
    const { invoker, calls } = fakeInvoker(async (_, input) => {
      mostInFlight = Math.max(mostInFlight, ++inFlight);
      await new Promise((resolve) => setTimeout(resolve, 20));
      inFlight--;
      return scoresOf([...input]);
    });
    const outcomes: ShardOutcome[] = [];
    const encoder = new FanOutCrossEncoder({ local, invoker, ...plan, onShard: (o) => outcomes.push(o) });
    expect(await encoder.score(pairs(100))).toEqual(inOrder(100));
    // 10 pairs of 10 characters and 90 of 11 (1,090 in all), cut nearest 272.5 characters a shard.
    expect(calls.map((c) => c.pairs)).toEqual([26, 24, 25, 25]);
    expect(mostInFlight).toBe(4);
    expect(local.calls).toEqual([]);
    expect(outcomes.map((o) => o.pairs).sort()).toEqual([24, 25, 25, 26]);
    expect(outcomes.every((o) => o.attempts === 1 && !o.fellBack)).toBe(true);
  });

  it('sends each shard a deadline no later than its shard timeout', async () => {
    const { invoker, calls } = fakeInvoker();
    const encoder = new FanOutCrossEncoder({ local: fakeLocal(), invoker, ...plan, shardTimeoutMs: 3000 });
    const before = Date.now();
    await encoder.score(pairs(50));
    for (const { deadline } of calls) {
      expect(deadline).toBeGreaterThanOrEqual(before + 3000 - 50);
      expect(deadline).toBeLessThanOrEqual(Date.now() + 3000);
    }
  });

  it('invokes a shard that failed once more and uses that answer', async () => {
    const local = fakeLocal();
    const { invoker, calls } = fakeInvoker((call, input) =>
      call === 1 ? Promise.reject(new ShardError('Unhandled: out of memory', 'req-1')) : scoresOf(input),
    );
    const outcomes: ShardOutcome[] = [];
    const { log, warnings } = recordingLog();
    const encoder = new FanOutCrossEncoder({ local, invoker, ...plan, log, onShard: (o) => outcomes.push(o) });
    expect(await encoder.score(pairs(50))).toEqual(inOrder(50));
    expect(calls).toHaveLength(3);
    expect(local.calls).toEqual([]);
    expect(outcomes).toContainEqual({ pairs: 25, attempts: 2, fellBack: false });
    expect(warnings).toEqual([
      {
        message: 'scoring shard failed',
        extra: { pairs: 25, attempt: 1, requestId: 'req-1', reason: 'Unhandled: out of memory' },
      },
    ]);
  });

  it('scores a shard in-process after two failed invocations, and the scores are complete', async () => {
    const local = fakeLocal();
    // Every invocation of the shard holding the longest passages ("passage 50" … "passage 99") fails.
    const { invoker, calls } = fakeInvoker((_, input) =>
      numberOf(input[0]!) >= 50 ? Promise.reject(new Error('socket hang up')) : scoresOf(input),
    );
    const outcomes: ShardOutcome[] = [];
    const encoder = new FanOutCrossEncoder({
      local,
      invoker,
      maxShards: 2,
      minPairsPerShard: 25,
      onShard: (o) => outcomes.push(o),
    });
    expect(await encoder.score(pairs(100))).toEqual(inOrder(100));
    expect(calls).toHaveLength(3);
    expect(local.calls).toEqual([50]);
    expect(outcomes).toContainEqual({ pairs: 50, attempts: 2, fellBack: true });
  });

  it('abandons an invocation that does not answer within the shard timeout, then falls back', async () => {
    const local = fakeLocal();
    const { invoker, calls } = fakeInvoker((_, __, signal) => hang(signal));
    const { log, warnings } = recordingLog();
    const encoder = new FanOutCrossEncoder({ local, invoker, ...plan, shardTimeoutMs: 50, log });
    const start = Date.now();
    expect(await encoder.score(pairs(50))).toEqual(inOrder(50));
    expect(Date.now() - start).toBeLessThan(2000);
    expect(calls).toHaveLength(4);
    expect(local.calls).toEqual([25, 25]);
    expect(warnings.filter((w) => w.message === 'scoring shard failed').map((w) => w.extra.reason)).toEqual(
      Array(4).fill('no answer within 50 ms'),
    );
  });

  it.each([
    ['too few scores', (input: Pair[]) => input.slice(1).map(numberOf)],
    ['a score that is not a number', (input: Pair[]) => input.map((p, i) => (i === 0 ? Number.NaN : numberOf(p)))],
    ['no array', () => ({ scores: 1 }) as unknown as number[]],
  ])('treats an answer with %s as a failure and scores the shard in-process', async (_, answer) => {
    const local = fakeLocal();
    const { invoker, calls } = fakeInvoker((_, input) => Promise.resolve({ scores: answer(input) }));
    const encoder = new FanOutCrossEncoder({ local, invoker, ...plan });
    expect(await encoder.score(pairs(50))).toEqual(inOrder(50));
    expect(calls).toHaveLength(4);
    expect(local.calls).toEqual([25, 25]);
  });

  it('leaves the retry and the fallback time even when the shard timeout is longer than the whole deadline', async () => {
    const local = fakeLocal();
    const { invoker, calls } = fakeInvoker((_, __, signal) => hang(signal));
    const encoder = new FanOutCrossEncoder({ local, invoker, ...plan, shardTimeoutMs: 60_000, timeoutMs: 600 });
    expect(await encoder.score(pairs(50))).toEqual(inOrder(50));
    expect(calls).toHaveLength(4);
    expect(local.calls).toEqual([25, 25]);
  });

  it('stops the other shards when one fails for good', async () => {
    const signals: AbortSignal[] = [];
    const { invoker } = fakeInvoker((_, input, signal) => {
      if (numberOf(input[0]!) === 0) return Promise.reject(new Error('socket hang up'));
      signals.push(signal); // the other shard's invocation, which never answers
      return hang(signal);
    });
    // The in-process fallback of the failing shard fails too: the call fails, and nothing of it may keep running.
    const broken: CrossEncoder = { name: 'broken', score: () => Promise.reject(new Error('model file is corrupt')) };
    const encoder = new FanOutCrossEncoder({ local: broken, invoker, ...plan });
    await expect(encoder.score(pairs(50))).rejects.toThrow('model file is corrupt');
    expect(signals).toHaveLength(1);
    expect(signals[0]!.aborted).toBe(true);
  });

  it('does not invoke again for a shard whose error says a retry would fail the same way', async () => {
    const local = fakeLocal();
    const { invoker, calls } = fakeInvoker(() =>
      Promise.reject(new ShardError('over the invoke limit', undefined, false)),
    );
    const encoder = new FanOutCrossEncoder({ local, invoker, ...plan });
    expect(await encoder.score(pairs(50))).toEqual(inOrder(50));
    expect(calls).toHaveLength(2);
    expect(local.calls).toEqual([25, 25]);
  });

  it('scores in-process when the call bounds its tokens, which only the in-process encoder checks', async () => {
    const local = fakeLocal();
    const { invoker, calls } = fakeInvoker();
    const encoder = new FanOutCrossEncoder({ local, invoker, ...plan });
    expect(await encoder.score(pairs(100), { maxTokens: 10_000 })).toEqual(inOrder(100));
    expect(calls).toEqual([]);
    expect(local.calls).toEqual([100]);
  });

  it('fails with RerankUnavailableError when the whole call misses its deadline', async () => {
    const { invoker } = fakeInvoker((_, __, signal) => hang(signal));
    const encoder = new FanOutCrossEncoder({
      local: fakeLocal(500),
      invoker,
      ...plan,
      shardTimeoutMs: 40,
      timeoutMs: 100,
    });
    await expect(encoder.score(pairs(50))).rejects.toThrow(RerankUnavailableError);
  });

  it("stops when the caller's signal aborts", async () => {
    const { invoker } = fakeInvoker((_, __, signal) => hang(signal));
    const encoder = new FanOutCrossEncoder({ local: fakeLocal(), invoker, ...plan });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('client went away')), 20);
    await expect(encoder.score(pairs(50), { signal: controller.signal })).rejects.toThrow('scoring aborted');
  });
});
