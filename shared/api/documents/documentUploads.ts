import { z } from 'zod';
import { checkDocumentHeader, type DocumentRules } from '../../pipeline/ingest/document.js';
import {
  AppError,
  BadRequestError,
  ForbiddenError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
} from '../../pipeline/errors.js';
import { type Attributes, isSidecar, parseSidecar } from '../../pipeline/metadata.js';
import { type TenancySettings, tenantOf } from '../../pipeline/tenants.js';
import { describeZodError } from '../requests.js';

/**
 * Largest body `PUT /documents/{key}` takes: a synchronous Lambda invoke carries 6 MB, and API Gateway sends a
 * binary body base64-encoded (4/3 larger). Larger documents go through `POST /documents/{key}/upload-url`.
 */
export const MAX_PUT_BYTES = 4 * 1024 * 1024;
/** How long a presigned upload URL stays valid. */
export const UPLOAD_URL_SECONDS = 900;
/** The header `PUT /documents/{key}` takes a document's attributes in, as JSON: `{"year": 2024}`. */
export const METADATA_HEADER = 'x-document-metadata';

/** What a direct ingestion writes: the document, and its metadata sidecar when attributes came with it. */
export interface CheckedUpload {
  key: string;
  /** The attributes given with the upload (written as the Bedrock-style sidecar), or null: the sidecar is kept. */
  metadata: Attributes | null;
  tenant: string | null;
}

/** Attributes given as JSON in the metadata header (or an upload-url request), checked as a sidecar is. */
function attributesOf(raw: unknown): Attributes {
  try {
    return parseSidecar(Buffer.from(JSON.stringify({ metadataAttributes: raw }))).attributes;
  } catch (error) {
    if (error instanceof AppError) throw new BadRequestError(`metadata: ${error.message.replace(/^metadata /, '')}`);
    throw error;
  }
}

/** The metadata header's attributes, or null without one. */
export function metadataOfHeader(header: string | undefined): Attributes | null {
  if (header === undefined || header === '') return null;
  let raw: unknown;
  try {
    raw = JSON.parse(header);
  } catch {
    throw new BadRequestError(`${METADATA_HEADER} is not valid JSON`);
  }
  return attributesOf(raw);
}

/**
 * Checks a direct ingestion before anything is written: under the documents prefix and not a sidecar (400), a
 * type ingestion reads (415), within the size limits (413, naming the presigned route when the body is the
 * reason), and in the caller's tenant (403: a caller writes only its own tenant's documents).
 */
export function checkUpload(input: {
  key: string;
  bytes: number;
  metadata: Attributes | null;
  rules: DocumentRules;
  tenancy: TenancySettings;
  /** The caller's tenant scope; null: any. */
  scope: string | null;
  /** The limit of this route's body; undefined for presigned uploads (S3 takes the bytes). */
  bodyLimit?: number;
}): CheckedUpload {
  const { key, bytes, rules, tenancy, scope } = input;
  if (!key.startsWith(tenancy.documentsPrefix)) {
    throw new BadRequestError(`document keys start with "${tenancy.documentsPrefix}" (the prefix ingestion watches)`);
  }
  if (isSidecar(key)) {
    throw new BadRequestError(`a metadata sidecar is not a document: send attributes in the ${METADATA_HEADER} header`);
  }
  try {
    checkDocumentHeader(key, undefined, rules);
  } catch (error) {
    throw new UnsupportedMediaTypeError((error as Error).message);
  }
  if (input.bodyLimit !== undefined && bytes > input.bodyLimit) {
    throw new PayloadTooLargeError(
      `body is ${bytes} bytes; this route takes up to ${input.bodyLimit}: POST /documents/{key}/upload-url returns a presigned upload for larger documents`,
    );
  }
  if (bytes > rules.maxBytes) {
    throw new PayloadTooLargeError(`document is ${bytes} bytes; the limit is ${rules.maxBytes} bytes`);
  }
  if (bytes === 0) throw new BadRequestError('the body is empty: send the document');
  const tenant = tenantOf(key, input.metadata ?? {}, tenancy);
  if (scope !== null && tenant !== scope) {
    throw new ForbiddenError(
      tenancy.attribute === null
        ? `a caller writes only its own tenant's documents: keys under ${tenancy.documentsPrefix}${scope}/`
        : `a caller writes only its own tenant's documents: metadata "${tenancy.attribute}" must be "${scope}"`,
    );
  }
  return { key, metadata: input.metadata, tenant };
}

/** `POST /documents/{key}/upload-url`'s body: the exact size the upload will have (S3 refuses any other). */
export const UploadUrlRequestSchema = z
  .object({
    bytes: z.number().int().positive(),
    metadata: z.record(z.unknown()).optional(),
    tenant: z.string().min(1).optional(),
  })
  .strict();

export function parseUploadUrlRequest(body: unknown): { bytes: number; metadata: Attributes | null; tenant?: string } {
  const parsed = UploadUrlRequestSchema.safeParse(body);
  if (!parsed.success) throw new BadRequestError(describeZodError(parsed.error));
  const { bytes, metadata, tenant } = parsed.data;
  return { bytes, metadata: metadata === undefined ? null : attributesOf(metadata), ...(tenant ? { tenant } : {}) };
}

export const UploadUrlResponseSchema = z.object({
  source: z.string(),
  /** PUT the document's bytes here, with exactly these headers, before `expiresAt`. */
  url: z.string().url(),
  method: z.literal('PUT'),
  headers: z.record(z.string()),
  expiresAt: z.string(),
});

export const PutDocumentResponseSchema = z.object({
  source: z.string(),
  status: z.literal('pending'),
  bytes: z.number().int(),
});
