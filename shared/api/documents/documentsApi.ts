import { z } from 'zod';
import { BadRequestError } from '../../pipeline/errors.js';
import { MAX_TENANT_CHARS } from '../../pipeline/tenants.js';
import { describeZodError } from '../requests.js';

/** S3's longest key, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024;
/** Most documents one page of `GET /documents` lists. */
export const MAX_PAGE = 1000;

/**
 * A document key as the API takes it (the S3 key the index records, e.g. `docs/acme/report.pdf`): refused with a
 * 400 when empty, over S3's 1,024 bytes, absolute, with a `.` or `..` segment or an empty one, or with control
 * characters, so no key can name something outside the documents it stands for.
 */
export function checkDocumentKey(key: string): string {
  const problem =
    key === ''
      ? 'is empty'
      : Buffer.byteLength(key) > MAX_KEY_BYTES
        ? `is over S3's ${MAX_KEY_BYTES}-byte limit`
        : key.startsWith('/')
          ? 'is absolute (starts with "/")'
          : // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
            /[\u0000-\u001f\u007f]/.test(key)
            ? 'holds control characters'
            : key.split('/').some((segment) => segment === '..' || segment === '.')
              ? 'holds a "." or ".." segment'
              : key.split('/').slice(0, -1).includes('')
                ? 'holds an empty segment ("//")'
                : null;
  if (problem) throw new BadRequestError(`document key ${problem}`);
  return key;
}

/** The key in a `/documents/{key}` path, percent-decoded once (API Gateway passes the raw path). */
export function keyOfPath(rawKey: string): string {
  try {
    return checkDocumentKey(decodeURIComponent(rawKey));
  } catch (error) {
    if (error instanceof URIError) throw new BadRequestError('document key is not valid percent-encoding');
    throw error;
  }
}

/** A cursor is the last key of the previous page, base64url: opaque to callers, checked like a key. */
export const cursorOf = (source: string): string => Buffer.from(source).toString('base64url');

function sourceOfCursor(cursor: string): string {
  const source = Buffer.from(cursor, 'base64url').toString('utf8');
  if (source === '' || cursorOf(source) !== cursor) throw new BadRequestError('cursor is not one this API returned');
  return checkDocumentKey(source);
}

const DocumentStateSchema = z.enum(['pending', 'indexed', 'failed', 'deleting', 'deleted']);

/** `GET /documents`' query string (or a direct invoke's fields). */
export const ListDocumentsSchema = z
  .object({
    status: DocumentStateSchema.optional(),
    prefix: z.string().max(MAX_KEY_BYTES).optional(),
    limit: z.coerce.number().int().min(1).max(MAX_PAGE).default(100),
    cursor: z
      .string()
      .max(2 * MAX_KEY_BYTES)
      .optional(),
    tenant: z.string().min(1).max(MAX_TENANT_CHARS).optional(),
  })
  .strict();

export type ListDocumentsRequest = z.infer<typeof ListDocumentsSchema>;

/** The list request, checked: a 400 naming the field otherwise. */
export function parseListRequest(query: Record<string, string | undefined>): ListDocumentsRequest & { after?: string } {
  const parsed = ListDocumentsSchema.safeParse(query);
  if (!parsed.success) throw new BadRequestError(describeZodError(parsed.error));
  const { cursor, ...rest } = parsed.data;
  return { ...rest, ...(cursor !== undefined ? { after: sourceOfCursor(cursor) } : {}) };
}

/** `GET /documents/{key}`' query string. */
export const GetDocumentSchema = z
  .object({
    chunks: z.enum(['true', 'false']).optional(),
    tenant: z.string().min(1).max(MAX_TENANT_CHARS).optional(),
  })
  .strict();

export function parseGetRequest(query: Record<string, string | undefined>): z.infer<typeof GetDocumentSchema> {
  const parsed = GetDocumentSchema.safeParse(query);
  if (!parsed.success) throw new BadRequestError(describeZodError(parsed.error));
  return parsed.data;
}

const AttributeValueSchema = z.union([z.string(), z.number(), z.boolean(), z.array(z.string())]);

/** One document's status as the API answers it. */
export const DocumentStatusSchema = z.object({
  source: z.string(),
  status: DocumentStateSchema,
  reason: z.string().nullable(),
  chunks: z.number().int().nonnegative(),
  bytes: z.number().int().nonnegative().nullable(),
  contentHash: z.string().nullable(),
  contentType: z.string().nullable(),
  tenant: z.string().nullable(),
  metadata: z.record(AttributeValueSchema),
  version: z.string().nullable(),
  updatedAt: z.string(),
});

export const ListDocumentsResponseSchema = z.object({
  documents: z.array(DocumentStatusSchema),
  /** Pass as `cursor` for the next page; null on the last. */
  nextCursor: z.string().nullable(),
});

export const DocumentChunkSchema = z.object({ chunk: z.number().int(), text: z.string() });

export const GetDocumentResponseSchema = DocumentStatusSchema.extend({
  chunkTexts: z.array(DocumentChunkSchema).optional(),
});

export const DeleteDocumentResponseSchema = z.object({
  source: z.string(),
  status: z.literal('deleting'),
});
