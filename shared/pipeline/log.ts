/** The logging port shared code writes to; Powertools' Logger and `console` both satisfy it. */
export interface Log {
  info(message: string, ...extra: Record<string, unknown>[]): void;
  warn(message: string, ...extra: Record<string, unknown>[]): void;
  error(message: string, ...extra: Record<string, unknown>[]): void;
}

/** A Log that drops everything (tests, benchmarks). */
export const silentLog: Log = { info() {}, warn() {}, error() {} };
