import { describe, expect, it } from 'vitest';
import { BadRequestError, ForbiddenError } from '../../../shared/pipeline/errors.js';
import { DEFAULT_TENANCY, tenantOf, tenantScope } from '../../../shared/pipeline/tenants.js';

const REQUIRED = { ...DEFAULT_TENANCY, mode: 'required' as const };

describe('tenantOf', () => {
  it('is the first path segment under the documents prefix by default', () => {
    expect(tenantOf('docs/acme/reports/q4.pdf', {}, DEFAULT_TENANCY)).toBe('acme');
    expect(tenantOf('docs/readme.txt', {}, DEFAULT_TENANCY)).toBeNull();
    expect(tenantOf('other/acme/q4.pdf', {}, DEFAULT_TENANCY)).toBeNull();
    expect(tenantOf('docs//q4.pdf', {}, DEFAULT_TENANCY)).toBeNull();
  });

  it('is the configured attribute when there is one (a string), whatever the path', () => {
    const byCustomer = { ...DEFAULT_TENANCY, attribute: 'customer' };
    expect(tenantOf('docs/acme/q4.pdf', { customer: 'globex' }, byCustomer)).toBe('globex');
    expect(tenantOf('docs/acme/q4.pdf', {}, byCustomer)).toBeNull();
    expect(tenantOf('docs/acme/q4.pdf', { customer: 7 }, byCustomer)).toBeNull();
  });
});

describe('tenantScope', () => {
  it('scopes a JWT caller to its claim, allows the same tenant stated, and refuses another (403)', () => {
    expect(tenantScope({ jwtClaims: { tenant: 'a' } }, DEFAULT_TENANCY)).toBe('a');
    expect(tenantScope({ jwtClaims: { tenant: 'a' }, stated: 'a' }, DEFAULT_TENANCY)).toBe('a');
    expect(() => tenantScope({ jwtClaims: { tenant: 'a' }, stated: 'b' }, DEFAULT_TENANCY)).toThrow(ForbiddenError);
    const cognito = { ...DEFAULT_TENANCY, claim: 'custom:tenant' };
    expect(tenantScope({ jwtClaims: { 'custom:tenant': 'a', tenant: 'b' } }, cognito)).toBe('a');
  });

  it('refuses a token without the claim when tenancy is required, and any caller that states none', () => {
    expect(() => tenantScope({ jwtClaims: { sub: 'u1' } }, REQUIRED)).toThrow(
      'the token carries no "tenant" claim; every search is scoped to a tenant',
    );
    expect(() => tenantScope({}, REQUIRED)).toThrow(BadRequestError);
    expect(tenantScope({ stated: 'a' }, REQUIRED)).toBe('a');
  });

  it('refuses a token without the claim by default, and leaves service callers unscoped unless they state one', () => {
    expect(() => tenantScope({ jwtClaims: { sub: 'u1' } }, DEFAULT_TENANCY)).toThrow(ForbiddenError);
    expect(tenantScope({}, DEFAULT_TENANCY)).toBeNull();
    expect(tenantScope({ stated: 'b' }, DEFAULT_TENANCY)).toBe('b');
  });

  it('lets a token without the claim search every tenant only when tenancy is off', () => {
    const off = { ...DEFAULT_TENANCY, mode: 'off' as const };
    expect(tenantScope({ jwtClaims: { sub: 'u1' } }, off)).toBeNull();
    expect(tenantScope({ jwtClaims: { sub: 'u1', tenant: 'a' } }, off)).toBe('a');
  });
});
