import { StoreUnavailableError } from '../../pipeline/errors.js';

export const COMMIT_RETRIES = 8;

/**
 * Whether a LanceDB error is worth another try: commit conflicts with other writers (Lance retries most
 * itself, a mergeInsert racing another may still surface one) and object-store trouble that passes
 * (throttling, 5xx, a connection cut, a read of an object the store is still replacing).
 */
export function isTransientStoreError(error: unknown): boolean {
  const message = error instanceof Error ? error.message : String(error);
  return /conflict|retryable|concurrent|Precondition|SlowDown|Service ?Unavailable|Internal ?Error|\b50[0-4]\b|connection (?:refused|reset|closed)|timed? ?out|Range started at \d+ and ended at \d+|does not have sufficient data/i.test(
    message,
  );
}

/**
 * Runs a write, retrying transient failures with jittered exponential backoff (at most COMMIT_RETRIES times);
 * `onRetry` counts them (the commit-retries metric).
 */
export async function withCommitRetry<T>(operation: () => Promise<T>, onRetry: () => void = () => {}): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      if (!isTransientStoreError(error) || attempt >= COMMIT_RETRIES) throw error;
      onRetry();
      await new Promise((r) => setTimeout(r, 50 * 2 ** attempt * Math.random()));
    }
  }
}

/** Reads that fail for a passing reason become StoreUnavailableError (a 503 for callers), others stay as they are. */
export async function readOrUnavailable<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (isTransientStoreError(error))
      throw new StoreUnavailableError('the vector store is temporarily unavailable', { cause: error });
    throw error;
  }
}
