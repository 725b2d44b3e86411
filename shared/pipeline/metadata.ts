import { sha256Hex } from './ingest/document.js';
import { UnsupportedDocumentError } from './errors.js';

/**
 * Document metadata as Amazon Bedrock Knowledge Bases defines it: a sidecar object `<key>.metadata.json` holding
 * `{"metadataAttributes": {name: string | number | boolean | string[]}}`, plus the object's S3 user metadata
 * (`x-amz-meta-*`, strings). Pure: readers fetch the bytes, this decides what they mean.
 */

export type AttributeValue = string | number | boolean | string[];
export type AttributeType = 'string' | 'number' | 'boolean' | 'string[]';
export type Attributes = Record<string, AttributeValue>;

/** A document's attributes and the ones left out, each with its reason (logged, never fatal to the document). */
export interface DocumentMetadata {
  attributes: Attributes;
  skipped: { name: string; reason: string }[];
}

export const SIDECAR_SUFFIX = '.metadata.json';

/**
 * Bounds of one document's metadata (Bedrock caps a sidecar at 10 KB), and of the attribute columns one table takes:
 * each is a schema change and is read by every search, and anyone who can upload can name new ones.
 */
export const METADATA_LIMITS = {
  maxSidecarBytes: 10 * 1024,
  maxAttributes: 50,
  maxValueChars: 1024,
  maxListValues: 100,
  maxAttributeColumns: 200,
};

/**
 * Names that can be a column without quoting trouble: a letter, then letters, digits, `_` or `-` (S3 user
 * metadata keys use dashes). No dots: Lance reads them as nested fields.
 */
const NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;

/** Names the store keeps for itself: a filter on them means the system column, so no attribute may take them. */
const RESERVED = new Set(['source', 'tenant']);

export const isSidecar = (key: string): boolean => key.endsWith(SIDECAR_SUFFIX) && key.length > SIDECAR_SUFFIX.length;
/** The document a sidecar describes: `a/b.pdf.metadata.json` → `a/b.pdf`. */
export const documentOfSidecar = (key: string): string => key.slice(0, -SIDECAR_SUFFIX.length);
export const sidecarOf = (document: string): string => document + SIDECAR_SUFFIX;
/** The document an event's key is about: a sidecar's document, or the key itself. */
export const documentKeyOf = (key: string): string => (isSidecar(key) ? documentOfSidecar(key) : key);

/** The type of a value, or null for one metadata cannot hold (objects, mixed or empty lists, non-finite numbers). */
export function attributeTypeOf(value: unknown): AttributeType | null {
  if (typeof value === 'string') return 'string';
  if (typeof value === 'number') return Number.isFinite(value) ? 'number' : null;
  if (typeof value === 'boolean') return 'boolean';
  if (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string')) return 'string[]';
  return null;
}

/** Why a value is refused, or null when it is fine. */
function problemOf(name: string, value: unknown): string | null {
  if (!NAME.test(name)) return 'invalid name: a letter, then up to 63 letters, digits, "_" or "-"';
  if (RESERVED.has(name.toLowerCase())) return `"${name}" is reserved`;
  const type = attributeTypeOf(value);
  if (type === null)
    return `unsupported value ${JSON.stringify(value)?.slice(0, 80)}: string, number, boolean or a non-empty list of strings`;
  const strings = type === 'string' ? [value as string] : type === 'string[]' ? (value as string[]) : [];
  if (strings.length > METADATA_LIMITS.maxListValues) return `more than ${METADATA_LIMITS.maxListValues} values`;
  if (strings.some((s) => s.length > METADATA_LIMITS.maxValueChars))
    return `a value longer than ${METADATA_LIMITS.maxValueChars} characters`;
  return null;
}

/** The valid attributes of `raw`; the rest are skipped with their reasons. */
function validate(raw: Record<string, unknown>, origin: string): DocumentMetadata {
  const attributes: Attributes = {};
  const skipped: DocumentMetadata['skipped'] = [];
  for (const [name, value] of Object.entries(raw)) {
    const problem =
      problemOf(name, value) ??
      (Object.keys(attributes).length >= METADATA_LIMITS.maxAttributes
        ? `more than ${METADATA_LIMITS.maxAttributes} attributes`
        : null);
    if (problem) skipped.push({ name, reason: `${origin}: ${problem}` });
    else attributes[name] = value as AttributeValue;
  }
  return { attributes, skipped };
}

/**
 * A sidecar's attributes.
 * @throws UnsupportedDocumentError when the sidecar is not JSON of the Bedrock shape, or too large: the document
 * is skipped rather than indexed without the metadata its owner meant it to carry (a filter would then let it by).
 */
export function parseSidecar(bytes: Uint8Array): DocumentMetadata {
  if (bytes.byteLength > METADATA_LIMITS.maxSidecarBytes) {
    throw new UnsupportedDocumentError(
      `metadata sidecar is ${bytes.byteLength} bytes; the limit is ${METADATA_LIMITS.maxSidecarBytes}`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw new UnsupportedDocumentError('metadata sidecar is not valid JSON');
  }
  const attributes = (parsed as { metadataAttributes?: unknown } | null)?.metadataAttributes;
  if (typeof attributes !== 'object' || attributes === null || Array.isArray(attributes)) {
    throw new UnsupportedDocumentError('metadata sidecar needs {"metadataAttributes": {name: value, ...}}');
  }
  return validate(attributes as Record<string, unknown>, 'sidecar');
}

/**
 * A document's metadata: its S3 user metadata (keys without `x-amz-meta-`, string values), then its sidecar's
 * attributes, which win where both name one attribute (the sidecar is typed, user metadata is not).
 */
export function documentMetadata(userMetadata: Record<string, string>, sidecar: Uint8Array | null): DocumentMetadata {
  const fromUser = validate(userMetadata, 'x-amz-meta');
  if (sidecar === null) return fromUser;
  const fromSidecar = parseSidecar(sidecar);
  const merged = validate({ ...fromUser.attributes, ...fromSidecar.attributes }, 'metadata');
  return { attributes: merged.attributes, skipped: [...fromUser.skipped, ...fromSidecar.skipped, ...merged.skipped] };
}

/**
 * A stable fingerprint of a document's attributes and tenant (key order ignored): stored with its chunks, so
 * ingestion re-applies metadata only when it changed.
 */
export function metadataHash(attributes: Attributes, tenant: string | null): string {
  const sorted = Object.keys(attributes)
    .sort()
    .map((name) => [name, attributes[name]]);
  return sha256Hex(JSON.stringify([sorted, tenant]));
}

/** The column holding an attribute: prefixed, so no attribute can shadow a system column. */
export const columnOf = (name: string): string => `meta_${name}`;
/** The attribute a column holds, or null for a system column. */
export const attributeOfColumn = (column: string): string | null =>
  column.startsWith('meta_') ? column.slice('meta_'.length) : null;
