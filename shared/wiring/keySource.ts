import { SSMClient } from '@aws-sdk/client-ssm';
import { CachedKeySource, type KeySource, SsmKeySource } from '../adapters/ssm/keySource.js';
import { ConfigError } from '../pipeline/errors.js';
import type { Config } from './config.js';

/** The authorizer's key source: the hashes in API_KEYS_PARAMETER (required), read at most once per API_KEYS_CACHE_S. */
export function createKeySource(config: Pick<Config, 'auth'>): KeySource {
  const name = config.auth.keysParameter;
  if (!name) throw new ConfigError('API_KEYS_PARAMETER is not set (the SSM parameter holding the API key hashes)');
  // Short timeouts: an HTTP API waits at most 10 s for its authorizer.
  const client = new SSMClient({ maxAttempts: 2, requestHandler: { connectionTimeout: 1000, requestTimeout: 2000 } });
  return new CachedKeySource(new SsmKeySource(client, name), config.auth.cacheSeconds * 1000);
}
