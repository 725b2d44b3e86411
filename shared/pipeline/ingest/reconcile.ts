/**
 * The names to sync so that the index matches the bucket under `prefix`: every object there (unchanged ones are
 * no-ops by content hash) and every indexed source under the prefix whose object is gone (it reads as deleted).
 */
export function reconcilePlan(objectKeys: string[], indexedSources: string[], prefix: string): string[] {
  const inBucket = new Set(objectKeys.filter((k) => k.startsWith(prefix)));
  const orphans = indexedSources.filter((s) => s.startsWith(prefix) && !inBucket.has(s));
  return [...[...inBucket].sort(), ...orphans.sort()];
}
