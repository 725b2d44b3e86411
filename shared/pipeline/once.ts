/**
 * Memoises an async factory (models, connections: create once per container): concurrent first callers share one
 * load, and a failed load is retried by the next caller instead of being kept.
 */
export function once<T>(factory: () => Promise<T>): () => Promise<T> {
  let promise: Promise<T> | undefined;
  return () => {
    promise ??= factory().catch((error: unknown) => {
      promise = undefined;
      throw error;
    });
    return promise;
  };
}
