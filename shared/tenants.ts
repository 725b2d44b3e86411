import { BadRequestError, ForbiddenError } from './errors.js';
import type { Attributes } from './metadata.js';

/**
 * Tenants: each document belongs to at most one, and a scoped search sees only its tenant's chunks. Pure: the
 * query function says who is asking, ingestion says where a document sits, this decides.
 */

export interface TenancySettings {
  /** Key prefix of the documents (`docs/`): with no attribute, a document's tenant is the next path segment. */
  documentsPrefix: string;
  /** The metadata attribute naming a document's tenant; null: the path segment. */
  attribute: string | null;
  /** off: scoped when the caller has a tenant; required: every search must have one. */
  mode: 'off' | 'required';
  /** The JWT claim that names the caller's tenant. */
  claim: string;
}

/** No tenancy: documents under `docs/<tenant>/` still record their tenant, searches are scoped only when asked. */
export const DEFAULT_TENANCY: TenancySettings = {
  documentsPrefix: 'docs/',
  attribute: null,
  mode: 'off',
  claim: 'tenant',
};

/** Longest tenant name a caller may state (a claim or a request field); longer ones match nothing anyway. */
export const MAX_TENANT_CHARS = 256;

/** The tenant of a document: `docs/<tenant>/…` by default, or the string value of the configured attribute. */
export function tenantOf(source: string, attributes: Attributes, settings: TenancySettings): string | null {
  if (settings.attribute !== null) {
    const value = attributes[settings.attribute];
    return typeof value === 'string' && value !== '' ? value : null;
  }
  if (!source.startsWith(settings.documentsPrefix)) return null;
  const rest = source.slice(settings.documentsPrefix.length);
  const slash = rest.indexOf('/');
  return slash > 0 ? rest.slice(0, slash) : null;
}

/** Who asks: the verified claims of a JWT (API Gateway checked the token), and the tenant the request states. */
export interface Caller {
  /** Present only when API Gateway's JWT authorizer let the request in. */
  jwtClaims?: Record<string, unknown>;
  /** The request's `tenant` field: how direct invocations and service callers (IAM, API keys) say it. */
  stated?: string;
}

/**
 * The tenant a search is scoped to, or null for none. A JWT's tenant claim always scopes (a stated tenant must be
 * the same one: a body can narrow, never widen); otherwise the stated tenant does. With `mode: required` a search
 * without either is refused rather than run across every tenant.
 * @throws ForbiddenError for a stated tenant other than the token's; BadRequestError when one is required.
 */
export function tenantScope(caller: Caller, settings: TenancySettings): string | null {
  const claim = caller.jwtClaims?.[settings.claim];
  const fromToken =
    typeof claim === 'string' && claim !== '' ? claim : typeof claim === 'number' ? String(claim) : null;
  if (caller.jwtClaims !== undefined && fromToken === null && settings.mode === 'required') {
    throw new ForbiddenError(`the token carries no "${settings.claim}" claim; every search is scoped to a tenant`);
  }
  if (fromToken !== null && caller.stated !== undefined && caller.stated !== fromToken) {
    throw new ForbiddenError('tenant: a request may only name its own tenant');
  }
  const tenant = fromToken ?? caller.stated ?? null;
  if (tenant === null && settings.mode === 'required') {
    throw new BadRequestError('tenant is required: every search is scoped to a tenant (TENANCY=required)');
  }
  return tenant;
}
