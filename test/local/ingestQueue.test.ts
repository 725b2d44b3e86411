import type { SQSEvent } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import { IngestQueue, type DeadLetter, type InvokeResult } from '../../local/ingestQueue.js';
import type { S3EventNotification } from '../../local/s3Server.js';

const notification = (key: string): S3EventNotification => ({
  Records: [{ eventName: 'ObjectCreated:Put', s3: { bucket: { name: 'documents' }, object: { key } } }],
});
const keyOf = (record: SQSEvent['Records'][number]) =>
  (JSON.parse(record.body) as S3EventNotification).Records[0]!.s3.object.key;

/**
 * A queue whose function answers from a script (per batch: keys → result); the Lambda invoke API is what cannot
 * run in a unit test. Records every batch's keys and receive counts.
 */
function queueWith(
  answer: (keys: string[], batch: SQSEvent) => InvokeResult | 'unreachable',
  options: { concurrency?: number; batchSize?: number; batchWindowMs?: number; visibilityTimeoutsMs?: number[] } = {},
) {
  const batches: string[][] = [];
  const receiveCounts: Record<string, string[]> = {};
  const dead: DeadLetter[] = [];
  const spans: { keys: string[]; start: number; end: number }[] = [];
  let active = 0;
  let maxActive = 0;
  const queue = new IngestQueue({
    invoke: async (event) => {
      const keys = event.Records.map(keyOf);
      batches.push(keys);
      for (const r of event.Records) {
        receiveCounts[keyOf(r)] = [...(receiveCounts[keyOf(r)] ?? []), r.attributes.ApproximateReceiveCount];
      }
      active++;
      maxActive = Math.max(maxActive, active);
      const start = performance.now();
      await new Promise((r) => setTimeout(r, 5));
      spans.push({ keys, start, end: performance.now() });
      active--;
      const result = answer(keys, event);
      if (result === 'unreachable') throw new Error('connect ECONNREFUSED');
      return result;
    },
    onDeadLetter: async (d) => {
      dead.push(d);
    },
    log: () => {},
    visibilityTimeoutsMs: [1, 2],
    unreachableDelayMs: 1,
    batchWindowMs: 20,
    ...options,
  });
  return { queue, batches, receiveCounts, dead, spans, maxActive: () => maxActive };
}

/** The function's answer naming the messages of `keys` as failed (ReportBatchItemFailures). */
const failing = (event: SQSEvent, keys: string[]): InvokeResult => ({
  ok: true,
  body: JSON.stringify({
    batchItemFailures: event.Records.filter((r) => keys.includes(keyOf(r))).map((r) => ({
      itemIdentifier: r.messageId,
    })),
  }),
});

describe('IngestQueue', () => {
  it('delivers notifications as SQS batches of at most batchSize messages, each carrying the S3 notification', async () => {
    const events: SQSEvent[] = [];
    const { queue, batches, dead } = queueWith(
      (_keys, event) => {
        events.push(event);
        return { ok: true, body: '{"batchItemFailures":[]}' };
      },
      { batchSize: 4 },
    );
    for (let i = 0; i < 10; i++) queue.send(notification(`k${i}`));
    await queue.idle();
    expect(batches.map((b) => b.length)).toEqual([4, 4, 2]);
    expect(batches.flat().sort()).toEqual(Array.from({ length: 10 }, (_, i) => `k${i}`).sort());
    expect(events[0]!.Records[0]).toMatchObject({
      eventSource: 'aws:sqs',
      attributes: { ApproximateReceiveCount: '1' },
    });
    expect(JSON.parse(events[0]!.Records[0]!.body)).toEqual(notification('k0'));
    expect(dead).toEqual([]);
  });

  it('counts the SQS requests SQS would bill and the invocations with their time', async () => {
    // [a bad c]: bad fails; [bad]: fails again, nothing to delete; [bad]: succeeds.
    let bad = 0;
    const { queue, batches } = queueWith((keys, event) =>
      keys.includes('bad') && ++bad < 3 ? failing(event, ['bad']) : { ok: true, body: '' },
    );
    for (const key of ['a', 'bad', 'c']) queue.send(notification(key));
    await queue.idle();
    expect(batches).toEqual([['a', 'bad', 'c'], ['bad'], ['bad']]);
    const stats = queue.stats();
    expect(stats).toMatchObject({ sent: 3, receives: 3, deletes: 2, invocations: 3 });
    // Each invocation of the scripted function waits 5 ms.
    expect(stats.billedMs).toBeGreaterThanOrEqual(3 * 5);
  });

  it('redelivers a failed message whose visibility timeout ends while the queue is looking for ready ones', async () => {
    // A clock that ticks a millisecond on every read puts the end of a 2 ms timeout between two reads of a look.
    const realNow = Date.now.bind(Date);
    let ticks = 0;
    const now = vi.spyOn(Date, 'now').mockImplementation(() => realNow() + ++ticks);
    try {
      let calls = 0;
      const { queue, batches } = queueWith(
        (_keys, event) => (++calls === 1 ? failing(event, ['x']) : { ok: true, body: '' }),
        {
          batchWindowMs: 0,
          visibilityTimeoutsMs: [2],
        },
      );
      queue.send(notification('x'));
      await queue.idle();
      expect(batches).toEqual([['x'], ['x']]);
    } finally {
      now.mockRestore();
    }
  });

  it('waits up to the batch window to fill a batch', async () => {
    const { queue, batches } = queueWith(() => ({ ok: true, body: '' }), { batchSize: 10, batchWindowMs: 100 });
    queue.send(notification('first'));
    await new Promise((r) => setTimeout(r, 30));
    queue.send(notification('second'));
    await queue.idle();
    expect(batches).toEqual([['first', 'second']]);
  });

  it('redelivers only the messages the function reports as failed', async () => {
    const { queue, batches, dead } = queueWith((_keys, event) =>
      batches.length === 1 ? failing(event, ['bad']) : { ok: true, body: '' },
    );
    for (const key of ['good1', 'bad', 'good2']) queue.send(notification(key));
    await queue.idle();
    expect(batches).toEqual([['good1', 'bad', 'good2'], ['bad']]);
    expect(dead).toEqual([]);
  });

  it('dead-letters a message after maxReceiveCount receives, counting each one', async () => {
    const { queue, receiveCounts, dead } = queueWith((_keys, event) => failing(event, ['poison']));
    queue.send(notification('poison'));
    await queue.idle();
    expect(receiveCounts.poison).toEqual(['1', '2', '3']);
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ keys: ['documents/poison'], receiveCount: 3 });
    expect(JSON.parse(dead[0]!.body)).toEqual(notification('poison'));
  });

  it('treats a function error as the failure of every message of the batch', async () => {
    const { queue, batches, dead } = queueWith(() =>
      batches.length === 1 ? { ok: false, error: '200 boom' } : { ok: true, body: '' },
    );
    queue.send(notification('a'));
    queue.send(notification('b'));
    await queue.idle();
    expect(batches).toEqual([
      ['a', 'b'],
      ['a', 'b'],
    ]);
    expect(dead).toEqual([]);
  });

  it('holds messages while the function cannot be reached, without counting those tries as receives', async () => {
    let calls = 0;
    const { queue, receiveCounts, dead } = queueWith(() => (++calls <= 5 ? 'unreachable' : { ok: true, body: '' }));
    queue.send(notification('held'));
    await queue.idle();
    expect(calls).toBe(6);
    expect(receiveCounts.held!.at(-1)).toBe('1');
    expect(dead).toEqual([]);
  });

  it('never puts one key in two batches at once and bounds the batches in flight by the concurrency', async () => {
    const { queue, spans, maxActive } = queueWith(() => ({ ok: true, body: '' }), {
      batchSize: 2,
      concurrency: 3,
      batchWindowMs: 0,
    });
    for (let i = 0; i < 12; i++) queue.send(notification(`k${i}`));
    for (let i = 0; i < 4; i++) queue.send(notification('same'));
    await queue.idle();
    const same = spans.filter((s) => s.keys.includes('same')).sort((a, b) => a.start - b.start);
    expect(same.flatMap((s) => s.keys.filter((k) => k === 'same'))).toHaveLength(4);
    for (let i = 1; i < same.length; i++) expect(same[i]!.start).toBeGreaterThanOrEqual(same[i - 1]!.end);
    expect(maxActive()).toBe(3);
  });

  it('prints a dead letter it cannot record and goes on with the other messages', async () => {
    const lines: string[] = [];
    const delivered: string[] = [];
    const queue = new IngestQueue({
      invoke: async (event) => {
        delivered.push(...event.Records.map(keyOf));
        return failing(event, ['poison']);
      },
      onDeadLetter: () => Promise.reject(new Error('ENOSPC: no space left on device')),
      log: (line) => lines.push(line),
      visibilityTimeoutsMs: [1],
      batchWindowMs: 0,
      maxReceiveCount: 1,
    });
    queue.send(notification('poison'));
    queue.send(notification('fine'));
    await queue.idle();
    expect(delivered.sort()).toEqual(['fine', 'poison']);
    expect(lines.some((l) => l.includes('could not record the dead letter (ENOSPC') && l.includes('poison'))).toBe(
      true,
    );
  });
});
