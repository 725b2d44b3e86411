import type { APIGatewayRequestAuthorizerEventV2, APIGatewaySimpleAuthorizerResult } from 'aws-lambda';
import { bearerKey, isAllowedKey } from '../../shared/api/apiKeys.js';
import type { KeySource } from '../../shared/adapters/ssm/keySource.js';
import { loadConfig } from '../../shared/wiring/config.js';
import { createKeySource } from '../../shared/wiring/keySource.js';

/**
 * The HTTP API's request authorizer for `apiAuth=apikey` (payload 2.0, simple responses): allows a request whose
 * `Authorization: Bearer <key>` hashes (SHA-256) to one of the hashes in an SSM SecureString parameter. Keys and
 * hashes are never logged. Deliberately small: no LanceDB, no models, no Powertools in this bundle.
 */

/** The Authorization header of a 2.0 event (API Gateway lower-cases header names; any case is accepted). */
function authorizationHeader(event: APIGatewayRequestAuthorizerEventV2): string | undefined {
  const headers = event.headers ?? {};
  if (headers.authorization !== undefined) return headers.authorization;
  const name = Object.keys(headers).find((h) => h.toLowerCase() === 'authorization');
  return name === undefined ? undefined : headers[name];
}

/** The authorizer over a key source: no or malformed header → denied without reading the source. */
export function createAuthorizer(
  source: KeySource,
): (event: APIGatewayRequestAuthorizerEventV2) => Promise<APIGatewaySimpleAuthorizerResult> {
  return async (event) => {
    const key = bearerKey(authorizationHeader(event));
    if (!key) return { isAuthorized: false };
    return { isAuthorized: isAllowedKey(key, await source.hashes()) };
  };
}

// Created on the first request, once per container.
let authorize: ReturnType<typeof createAuthorizer> | undefined;

export async function handler(event: APIGatewayRequestAuthorizerEventV2): Promise<APIGatewaySimpleAuthorizerResult> {
  try {
    authorize ??= createAuthorizer(createKeySource(loadConfig()));
    return await authorize(event);
  } catch (error) {
    // An unreadable key list fails the request (API Gateway answers 500) rather than letting anyone in.
    const { name, message } = error as Error;
    console.error(JSON.stringify({ level: 'ERROR', message: 'API keys could not be read', error: { name, message } }));
    throw error;
  }
}
