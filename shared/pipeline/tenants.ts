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
  /**
   * jwt (the default): a caller with a JWT must carry the tenant claim, others are scoped when they state a tenant;
   * required: every search must have a tenant; off: scoped only when the caller has one (single-team deployments).
   */
  mode: 'jwt' | 'required' | 'off';
  /** The JWT claim that names the caller's tenant. */
  claim: string;
}

/** Tenants from `docs/<tenant>/`; JWT callers must carry the `tenant` claim, other callers are scoped when they ask. */
export const DEFAULT_TENANCY: TenancySettings = {
  documentsPrefix: 'docs/',
  attribute: null,
  mode: 'jwt',
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
 * the same one: a body can narrow, never widen); otherwise the stated tenant does. A token without the claim is
 * refused unless tenancy is off (with JWT auth every search is scoped, as a user of tenants would assume), and with
 * `mode: required` a search without any tenant is refused rather than run across every tenant.
 * @throws ForbiddenError for a token without the claim or a stated tenant other than the token's; BadRequestError
 * when a service caller must state one.
 */
export function tenantScope(caller: Caller, settings: TenancySettings): string | null {
  const claim = caller.jwtClaims?.[settings.claim];
  const fromToken =
    typeof claim === 'string' && claim !== '' ? claim : typeof claim === 'number' ? String(claim) : null;
  if (caller.jwtClaims !== undefined && fromToken === null && settings.mode !== 'off') {
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
