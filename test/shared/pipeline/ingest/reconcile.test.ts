import { describe, expect, it } from 'vitest';
import { reconcilePlan } from '../../../../shared/pipeline/ingest/reconcile.js';

describe('reconcilePlan', () => {
  it('syncs every object under the prefix and every indexed source whose object is gone', () => {
    const plan = reconcilePlan(
      ['docs/b.txt', 'docs/a.txt', 'other/x.txt'],
      ['docs/a.txt', 'docs/gone.txt', 'other/y.txt'],
      'docs/',
    );
    expect(plan).toEqual(['docs/a.txt', 'docs/b.txt', 'docs/gone.txt']);
  });

  it('leaves sources outside the prefix alone', () => {
    expect(reconcilePlan([], ['elsewhere/z.txt'], 'docs/')).toEqual([]);
  });
});
