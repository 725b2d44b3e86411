/**
 * Memoises an async factory (models, connections: create once per container): concurrent first callers share one
 * load, and a failed load is retried by the next caller instead of being kept, as is a value `keep` refuses
 * (a table that does not exist yet: the next caller looks again).
 */
export function once<T>(factory: () => Promise<T>, keep: (value: T) => boolean = () => true): () => Promise<T> {
  let promise: Promise<T> | undefined;
  return () => {
    promise ??= factory().then(
      (value) => {
        if (!keep(value)) promise = undefined;
        return value;
      },
      (error: unknown) => {
        promise = undefined;
        throw error;
      },
    );
    return promise;
  };
}
