import { sha256Hex } from '../../pipeline/ingest/document.js';
import type { SearchOptions } from '../../pipeline/ports.js';

/**
 * Predicates use a hash of the source, never the source text itself, so no user-chosen key or filter
 * value is ever spliced into SQL. The hash alphabet is [0-9a-f]: safe by construction.
 */
export function sourcePredicate(source: string): string {
  return `source_id = '${sha256Hex(source)}'`;
}

/** The same rule for several sources at once: `source_id IN (...)` of hex hashes. */
export function sourcesPredicate(sources: string[]): string {
  return `source_id IN (${sources.map((s) => `'${sha256Hex(s)}'`).join(', ')})`;
}

/** A search's filters as one predicate: the source (by hash) and a compiled filter, both when given. */
export function predicateOf(options: SearchOptions): string | undefined {
  const parts = [
    ...(options.source !== undefined ? [sourcePredicate(options.source)] : []),
    ...(options.where ? [`(${options.where})`] : []),
  ];
  return parts.length > 0 ? parts.join(' AND ') : undefined;
}
