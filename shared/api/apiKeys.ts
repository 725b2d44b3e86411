/**
 * API keys as Cohere- and TEI-style clients send them (`Authorization: Bearer <key>`). Keys are never stored:
 * only their SHA-256 hashes (hex), so the list of allowed keys (SSM Parameter Store on AWS, an environment
 * variable locally) reveals no key. Pure: no AWS SDK, no I/O.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { ConfigError } from '../pipeline/errors.js';

const HASH = /^[0-9a-f]{64}$/;

/** The SHA-256 hash (lower-case hex) of a key: what is stored in place of the key. */
export function hashKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/**
 * The hashes in a comma- or newline-separated list (blanks ignored, case folded). A bad entry throws a
 * ConfigError naming its position and length only: it may be a key pasted in place of its hash.
 */
export function parseKeyHashes(text: string, source = 'the API key hash list'): Set<string> {
  const hashes = new Set<string>();
  const entries = text.split(/[,\r\n]/);
  for (const [index, raw] of entries.entries()) {
    const entry = raw.trim().toLowerCase();
    if (!entry) continue;
    if (!HASH.test(entry))
      throw new ConfigError(
        `${source}: entry ${index + 1} is not a SHA-256 hash (64 hex characters; it has ${entry.length} characters)`,
      );
    hashes.add(entry);
  }
  return hashes;
}

/** The key of an `Authorization: Bearer <key>` header (scheme case-insensitive, key trimmed), else null. */
export function bearerKey(header: string | undefined): string | null {
  const match = /^\s*bearer\s+(.*)$/i.exec(header ?? '');
  const key = match?.[1]?.trim();
  return key ? key : null;
}

/** Whether the key's hash is one of the allowed hashes; every hash is compared in constant time. */
export function isAllowedKey(key: string | null | undefined, hashes: ReadonlySet<string>): boolean {
  if (!key) return false;
  const digest = createHash('sha256').update(key, 'utf8').digest();
  let allowed = false;
  for (const hash of hashes) {
    const stored = Buffer.from(hash, 'hex');
    // No early exit: the time taken does not tell which hash, if any, matched.
    if (stored.length === digest.length && timingSafeEqual(stored, digest)) allowed = true;
  }
  return allowed;
}

/**
 * The hashes a local stack checks keys against: `API_KEYS` (comma-separated plain keys, for local use only) and
 * `API_KEY_HASHES` (as stored on AWS), together; null when neither is set (the stack stays open).
 */
export function localKeyHashes(env: Record<string, string | undefined>): Set<string> | null {
  const keys = (env.API_KEYS ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean);
  const hashes = parseKeyHashes(env.API_KEY_HASHES ?? '', 'API_KEY_HASHES');
  for (const key of keys) hashes.add(hashKey(key));
  return hashes.size ? hashes : null;
}
