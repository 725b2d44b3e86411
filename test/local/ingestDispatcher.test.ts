import { describe, expect, it } from 'vitest';
import { IngestDispatcher, type FailedEvent, type InvokeResult } from '../../local/ingestDispatcher.js';
import type { S3EventNotification } from '../../local/s3Server.js';

const event = (key: string): S3EventNotification => ({
  Records: [{ eventName: 'ObjectCreated:Put', s3: { bucket: { name: 'documents' }, object: { key } } }],
});
const keyOf = (e: S3EventNotification) => e.Records[0]!.s3.object.key;

/** A dispatcher whose function answers from a script; the Lambda invoke API is what cannot run in a unit test. */
function dispatcherWith(
  answer: (e: S3EventNotification, call: number) => InvokeResult | 'unreachable',
  concurrency = 10,
) {
  const calls: string[] = [];
  const failed: FailedEvent[] = [];
  let active = 0;
  let maxActive = 0;
  const dispatcher = new IngestDispatcher({
    invoke: async (e) => {
      calls.push(keyOf(e));
      active++;
      maxActive = Math.max(maxActive, active);
      await new Promise((r) => setTimeout(r, 5));
      active--;
      const result = answer(e, calls.filter((k) => k === keyOf(e)).length);
      if (result === 'unreachable') throw new Error('connect ECONNREFUSED');
      return result;
    },
    onFailure: async (f) => {
      failed.push(f);
    },
    log: () => {},
    retryDelaysMs: [1, 2],
    unreachableDelayMs: 1,
    concurrency,
  });
  return { dispatcher, calls, failed, maxActive: () => maxActive };
}

describe('IngestDispatcher', () => {
  it('delivers each event once when the function succeeds', async () => {
    const { dispatcher, calls, failed } = dispatcherWith(() => ({ ok: true, body: '{}' }));
    for (const key of ['a', 'b', 'c']) dispatcher.enqueue(event(key));
    await dispatcher.idle();
    expect(calls.sort()).toEqual(['a', 'b', 'c']);
    expect(failed).toEqual([]);
  });

  it('retries a failing event twice, then records it with the last error', async () => {
    const { dispatcher, calls, failed } = dispatcherWith(() => ({ ok: false, error: '200 boom' }));
    dispatcher.enqueue(event('bad'));
    await dispatcher.idle();
    expect(calls).toEqual(['bad', 'bad', 'bad']);
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ keys: ['documents/bad'], attempts: 3, error: '200 boom' });
    expect(failed[0]!.event).toEqual(event('bad'));
  });

  it('stops retrying once an attempt succeeds', async () => {
    const { dispatcher, calls, failed } = dispatcherWith((_e, call) =>
      call < 2 ? { ok: false, error: 'x' } : { ok: true, body: '' },
    );
    dispatcher.enqueue(event('flaky'));
    await dispatcher.idle();
    expect(calls).toEqual(['flaky', 'flaky']);
    expect(failed).toEqual([]);
  });

  it('holds events while the function cannot be reached, without counting those tries as failures', async () => {
    const { dispatcher, calls, failed } = dispatcherWith((_e, call) =>
      call <= 5 ? 'unreachable' : { ok: true, body: '' },
    );
    dispatcher.enqueue(event('held'));
    await dispatcher.idle();
    expect(calls).toHaveLength(6);
    expect(failed).toEqual([]);
  });

  it('runs events of one key one after another and bounds the others by the concurrency', async () => {
    const order: string[] = [];
    const { dispatcher, maxActive } = dispatcherWith((e) => {
      order.push(keyOf(e));
      return { ok: true, body: '' };
    }, 3);
    for (let i = 0; i < 10; i++) dispatcher.enqueue(event(`k${i}`));
    for (let i = 0; i < 3; i++) dispatcher.enqueue(event('same'));
    await dispatcher.idle();
    expect(order.filter((k) => k === 'same')).toHaveLength(3);
    expect(maxActive()).toBe(3);
  });
});
