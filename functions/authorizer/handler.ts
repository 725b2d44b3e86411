import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { APIGatewayRequestAuthorizerEventV2, APIGatewaySimpleAuthorizerResult } from 'aws-lambda';
import { bearerKey, isAllowedKey, parseKeyHashes } from '../../shared/api/apiKeys.js';
import { ConfigError } from '../../shared/pipeline/errors.js';

/**
 * The HTTP API's request authorizer for `apiAuth=apikey` (payload 2.0, simple responses): allows a request whose
 * `Authorization: Bearer <key>` hashes (SHA-256) to one of the hashes in an SSM SecureString parameter. Keys and
 * hashes are never logged. Deliberately small: no LanceDB, no models, no Powertools in this bundle.
 */

/** Where the allowed key hashes come from. */
export interface KeySource {
  hashes(): Promise<Set<string>>;
}

/** The hashes in one SSM parameter (a SecureString: comma- or newline-separated SHA-256 hex), decrypted. */
export class SsmKeySource implements KeySource {
  constructor(
    private readonly client: Pick<SSMClient, 'send'>,
    private readonly name: string,
  ) {}

  async hashes(): Promise<Set<string>> {
    const { Parameter } = await this.client.send(new GetParameterCommand({ Name: this.name, WithDecryption: true }));
    return parseKeyHashes(Parameter?.Value ?? '', `SSM parameter ${this.name}`);
  }
}

/**
 * A KeySource read at most once per `ttlMs` (one read per cold start, and a rotation is seen within the TTL);
 * a failed read is not kept, so the next request tries again. Concurrent callers share one read.
 */
export class CachedKeySource implements KeySource {
  private value: Set<string> | undefined;
  private expiresAt = 0;
  private pending: Promise<Set<string>> | undefined;

  constructor(
    private readonly source: KeySource,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  hashes(): Promise<Set<string>> {
    if (this.value && this.now() < this.expiresAt) return Promise.resolve(this.value);
    this.pending ??= this.source
      .hashes()
      .then((value) => {
        this.value = value;
        this.expiresAt = this.now() + this.ttlMs;
        return value;
      })
      .finally(() => {
        this.pending = undefined;
      });
    return this.pending;
  }
}

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

/** The key source configured by `API_KEYS_PARAMETER` (required) and `API_KEYS_CACHE_S` (default 300). */
export function keySourceFromEnv(env: Record<string, string | undefined> = process.env): KeySource {
  const name = env.API_KEYS_PARAMETER?.trim();
  if (!name) throw new ConfigError('API_KEYS_PARAMETER is not set (the SSM parameter holding the API key hashes)');
  const ttl = (env.API_KEYS_CACHE_S ?? '').trim() || '300';
  if (!/^\d+$/.test(ttl)) throw new ConfigError(`API_KEYS_CACHE_S must be a whole number of seconds, got "${ttl}"`);
  // Short timeouts: an HTTP API waits at most 10 s for its authorizer.
  const client = new SSMClient({ maxAttempts: 2, requestHandler: { connectionTimeout: 1000, requestTimeout: 2000 } });
  return new CachedKeySource(new SsmKeySource(client, name), Number(ttl) * 1000);
}

// Created on the first request, once per container.
let authorize: ReturnType<typeof createAuthorizer> | undefined;

export async function handler(event: APIGatewayRequestAuthorizerEventV2): Promise<APIGatewaySimpleAuthorizerResult> {
  try {
    authorize ??= createAuthorizer(keySourceFromEnv());
    return await authorize(event);
  } catch (error) {
    // An unreadable key list fails the request (API Gateway answers 500) rather than letting anyone in.
    const { name, message } = error as Error;
    console.error(JSON.stringify({ level: 'ERROR', message: 'API keys could not be read', error: { name, message } }));
    throw error;
  }
}
