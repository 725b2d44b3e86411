import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { bearerKey, hashKey, isAllowedKey, localKeyHashes, parseKeyHashes } from '../../../shared/api/apiKeys.js';
import { ConfigError } from '../../../shared/pipeline/errors.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('hashKey', () => {
  it('is the lower-case SHA-256 hex of the key', () => {
    expect(hashKey('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(hashKey('sk-live-1')).toBe(sha256('sk-live-1'));
  });
});

describe('parseKeyHashes', () => {
  const a = hashKey('a');
  const b = hashKey('b');

  it('reads comma- and newline-separated hashes, ignoring blanks and folding case', () => {
    expect(parseKeyHashes(`${a},${b}`)).toEqual(new Set([a, b]));
    expect(parseKeyHashes(`\n ${a.toUpperCase()} \r\n\n, ,${b}\n`)).toEqual(new Set([a, b]));
    expect(parseKeyHashes(`${a},${a}`)).toEqual(new Set([a]));
    expect(parseKeyHashes('')).toEqual(new Set());
    expect(parseKeyHashes(' ,\n')).toEqual(new Set());
  });

  it('throws a ConfigError on an entry that is not a hash, without echoing it', () => {
    const secret = 'sk-live-this-is-a-plain-key';
    let thrown: unknown;
    try {
      parseKeyHashes(`${a},${secret}`, 'SSM parameter /x');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    const message = (thrown as Error).message;
    expect(message).toMatch(/SSM parameter \/x: entry 2 is not a SHA-256 hash/);
    expect(message).toContain(`${secret.length} characters`);
    expect(message).not.toContain('sk-live');
    expect(() => parseKeyHashes(a.slice(1))).toThrow(ConfigError);
    expect(() => parseKeyHashes(`${a.slice(1)}g`)).toThrow(ConfigError);
    expect(() => parseKeyHashes(`${a}0`)).toThrow(ConfigError);
  });
});

describe('bearerKey', () => {
  it('takes the key of a Bearer header, any case of the scheme, trimmed', () => {
    expect(bearerKey('Bearer sk-1')).toBe('sk-1');
    expect(bearerKey('bearer sk-1')).toBe('sk-1');
    expect(bearerKey('BEARER   sk-1  ')).toBe('sk-1');
    expect(bearerKey(' Bearer\tsk-1')).toBe('sk-1');
  });

  it('is null for no header, another scheme, or an empty key', () => {
    expect(bearerKey(undefined)).toBeNull();
    expect(bearerKey('')).toBeNull();
    expect(bearerKey('Basic eDp5')).toBeNull();
    expect(bearerKey('Bearer')).toBeNull();
    expect(bearerKey('Bearer ')).toBeNull();
    expect(bearerKey('Bearer    ')).toBeNull();
    expect(bearerKey('Bearersk-1')).toBeNull();
    expect(bearerKey('sk-1')).toBeNull();
  });
});

describe('isAllowedKey', () => {
  const hashes = new Set([hashKey('sk-old'), hashKey('sk-new')]);

  it('allows a key whose hash is listed', () => {
    expect(isAllowedKey('sk-old', hashes)).toBe(true);
    expect(isAllowedKey('sk-new', hashes)).toBe(true);
  });

  it('refuses any other key, no key, and everything when no hash is listed', () => {
    expect(isAllowedKey('sk-other', hashes)).toBe(false);
    expect(isAllowedKey('SK-OLD', hashes)).toBe(false);
    expect(isAllowedKey(hashKey('sk-old'), hashes)).toBe(false); // the hash itself is not a key
    expect(isAllowedKey('', hashes)).toBe(false);
    expect(isAllowedKey(null, hashes)).toBe(false);
    expect(isAllowedKey('sk-old', new Set())).toBe(false);
  });

  it('ignores entries that are not 32-byte hashes instead of throwing', () => {
    expect(isAllowedKey('sk-old', new Set(['abcd', hashKey('sk-old')]))).toBe(true);
    expect(isAllowedKey('sk-old', new Set(['abcd']))).toBe(false);
  });
});

describe('localKeyHashes', () => {
  it('is null (open) when neither variable is set or both are blank', () => {
    expect(localKeyHashes({})).toBeNull();
    expect(localKeyHashes({ API_KEYS: ' , ', API_KEY_HASHES: '' })).toBeNull();
  });

  it('hashes the plain keys of API_KEYS and adds the hashes of API_KEY_HASHES', () => {
    const hashes = localKeyHashes({ API_KEYS: 'dev-1, dev-2', API_KEY_HASHES: hashKey('ci') })!;
    expect(hashes).toEqual(new Set([hashKey('dev-1'), hashKey('dev-2'), hashKey('ci')]));
    expect(isAllowedKey('dev-2', hashes)).toBe(true);
  });

  it('names API_KEY_HASHES when an entry there is not a hash', () => {
    expect(() => localKeyHashes({ API_KEY_HASHES: 'dev-1' })).toThrow(/API_KEY_HASHES: entry 1/);
  });
});
