import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { BadRequestError, ForbiddenError } from '../../pipeline/errors.js';
import type { TenancySettings } from '../../pipeline/tenants.js';
import { MAX_TENANT_CHARS } from '../../pipeline/tenants.js';
import { MAX_KEY_BYTES } from './documentsApi.js';
import { describeZodError } from '../requests.js';

/** `POST /ingestion-jobs`' body: what to sync (all of it by default) and whether only the failed documents. */
export const StartJobSchema = z
  .object({
    prefix: z.string().max(MAX_KEY_BYTES).optional(),
    only: z.enum(['all', 'failed']).default('all'),
    tenant: z.string().min(1).max(MAX_TENANT_CHARS).optional(),
  })
  .strict();

/** Job ids are UUIDs: anything else is a 404 without a read. */
export const JOB_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The job a request asks for: its prefix under the documents prefix (a tenant's own folder when tenants come from
 * the path; by default the whole of it), checked against the caller's tenant scope.
 */
export function jobRequest(
  body: unknown,
  tenancy: TenancySettings,
  scopeOf: (stated: string | undefined) => string | null,
): { id: string; prefix: string; only: 'all' | 'failed'; tenant: string | null } {
  const parsed = StartJobSchema.safeParse(body ?? {});
  if (!parsed.success) throw new BadRequestError(describeZodError(parsed.error));
  const { only, tenant: stated } = parsed.data;
  const tenant = scopeOf(stated);
  const root =
    tenant !== null && tenancy.attribute === null ? `${tenancy.documentsPrefix}${tenant}/` : tenancy.documentsPrefix;
  const prefix = parsed.data.prefix ?? root;
  if (!prefix.startsWith(root)) throw new BadRequestError(`prefix must start with "${root}"`);
  if (tenant !== null && tenancy.attribute !== null && only === 'all') {
    // Tenants by attribute share folders: a tenant's full sync would touch others' documents.
    throw new ForbiddenError('with tenants by attribute, a tenant may start only {"only": "failed"} jobs');
  }
  return { id: randomUUID(), prefix, only, tenant };
}

const StatisticsSchema = z.object({
  numberOfDocumentsScanned: z.number().int(),
  numberOfMetadataDocumentsScanned: z.number().int(),
  numberOfNewDocumentsIndexed: z.number().int(),
  numberOfModifiedDocumentsIndexed: z.number().int(),
  numberOfMetadataDocumentsModified: z.number().int(),
  numberOfDocumentsUnchanged: z.number().int(),
  numberOfDocumentsDeleted: z.number().int(),
  numberOfDocumentsFailed: z.number().int(),
});

export const IngestionJobSchema = z.object({
  id: z.string(),
  prefix: z.string(),
  only: z.enum(['all', 'failed']),
  tenant: z.string().nullable(),
  status: z.enum(['STARTING', 'IN_PROGRESS', 'COMPLETE', 'FAILED']),
  statistics: StatisticsSchema,
  failures: z.array(z.object({ source: z.string(), reason: z.string() })),
  reason: z.string().nullable(),
  startedAt: z.string(),
  updatedAt: z.string(),
});
