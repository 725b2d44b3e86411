import type { Schema } from 'apache-arrow';
import { sha256Hex } from '../../pipeline/ingest/document.js';
import { type Attributes, attributeOfColumn, columnOf, metadataHash } from '../../pipeline/metadata.js';
import type { SearchHit, SourceWrite } from '../../pipeline/ports.js';
import { attributeTypesOf, type Metric, type Row } from './schema.js';

/** A row's attributes: its non-null attribute columns, lists as plain arrays. */
export function metadataOf(row: Row): Attributes {
  const attributes: Attributes = {};
  for (const [column, value] of Object.entries(row)) {
    const name = attributeOfColumn(column);
    if (name === null || value === null || value === undefined) continue;
    const plain =
      typeof (value as { toArray?: unknown }).toArray === 'function' ? [...(value as Iterable<string>)] : value;
    attributes[name] = plain as Attributes[string];
  }
  return attributes;
}

/** A row's citation: its offsets in the extracted text and its pages (null where unknown). */
export function citationOf(row: Row): Pick<SearchHit, 'offsets' | 'pages'> {
  const number = (value: number | null | undefined) => (value === null || value === undefined ? null : Number(value));
  const [start, end, first, last] = [row.char_start, row.char_end, row.page_first, row.page_last].map(number);
  return {
    offsets: start === null || end === null ? null : { start, end },
    pages: first === null || last === null ? null : { first, last },
  };
}

/** A search's row as a hit with `score`: its citation and its document's attributes. */
export function hitOf(row: Row, score: number): SearchHit {
  const { id, text, source } = row;
  return { id, text, source, chunk: Number(row.chunk), score, ...citationOf(row), metadata: metadataOf(row) };
}

export function similarity(metric: Metric, distance: number): number {
  // LanceDB distances: cosine = 1 - cos, dot = 1 - a·b, l2 = squared euclidean.
  return metric === 'l2' ? -distance : 1 - distance;
}

/**
 * Table rows for a source's chunks; ids are `<sha256(source)>:<chunk index>`, stable across re-ingests. Every
 * chunk carries the document's tenant and attributes (one column each), and null in every other attribute column
 * of `schema` (an update keeps a column the rows leave out, so an attribute the document lost must be cleared).
 */
export function chunkRows({ source, contentHash, chunks, metadata = {}, tenant = null }: SourceWrite, schema: Schema) {
  const sourceId = sha256Hex(source);
  const cleared = Object.keys(attributeTypesOf(schema)).map((name) => [columnOf(name), null]);
  const given = Object.entries(metadata).map(([name, value]) => [columnOf(name), value]);
  const attributes = Object.fromEntries([...cleared, ...given]);
  const metadataHashOfRows = metadataHash(metadata, tenant);
  return chunks.map((c, chunk) => ({
    id: `${sourceId}:${chunk}`,
    text: c.text,
    vector: c.vector,
    source,
    source_id: sourceId,
    chunk,
    content_hash: contentHash,
    char_start: c.offsets?.start ?? null,
    char_end: c.offsets?.end ?? null,
    page_first: c.pages?.first ?? null,
    page_last: c.pages?.last ?? null,
    metadata_hash: metadataHashOfRows,
    tenant,
    ...attributes,
  }));
}
