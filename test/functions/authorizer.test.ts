import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SSMClient } from '@aws-sdk/client-ssm';
import type { APIGatewayRequestAuthorizerEventV2, APIGatewaySimpleAuthorizerResult } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createAuthorizer } from '../../functions/authorizer/handler.js';
import { CachedKeySource, type KeySource, SsmKeySource } from '../../shared/adapters/ssm/keySource.js';
import { loadConfig } from '../../shared/wiring/config.js';
import { createKeySource } from '../../shared/wiring/keySource.js';
import { hashKey } from '../../shared/api/apiKeys.js';
import { ConfigError } from '../../shared/pipeline/errors.js';

const PARAMETER = '/rerank-pipeline/test/api-key-hashes';
const KEY = 'sk-test-0123456789';

/** An HTTP API 2.0 request-authorizer event with these headers. */
function event(headers: Record<string, string> = {}): APIGatewayRequestAuthorizerEventV2 {
  return {
    version: '2.0',
    type: 'REQUEST',
    routeArn: 'arn:aws:execute-api:us-east-1:123456789012:abcdef/$default/POST/query',
    identitySource: headers.authorization ? [headers.authorization] : [],
    routeKey: 'POST /query',
    rawPath: '/query',
    rawQueryString: '',
    cookies: [],
    headers,
  } as unknown as APIGatewayRequestAuthorizerEventV2;
}

/** A KeySource that counts its reads. */
function fakeSource(hashes: string[]): KeySource & { reads: number } {
  return {
    reads: 0,
    hashes() {
      this.reads++;
      return Promise.resolve(new Set(hashes));
    },
  };
}

/**
 * Stands in for SSM: the JSON protocol of GetParameter (`POST /`, `X-Amz-Target: AmazonSSM.GetParameter`), one
 * parameter whose value the tests set, or a `ParameterNotFound` while it is null.
 */
const ssm = {
  value: null as string | null,
  requests: [] as { target: string | undefined; body: { Name?: string; WithDecryption?: boolean } }[],
};
let ssmServer: http.Server;
let ssmUrl: string;

beforeAll(async () => {
  ssmServer = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const parsed = JSON.parse(body || '{}') as { Name?: string; WithDecryption?: boolean };
      ssm.requests.push({ target: req.headers['x-amz-target'] as string | undefined, body: parsed });
      const send = (status: number, answer: object) => {
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify(answer));
      };
      if (req.method !== 'POST' || req.headers['x-amz-target'] !== 'AmazonSSM.GetParameter')
        return send(400, { __type: 'InvalidAction', message: 'only GetParameter here' });
      if (ssm.value === null || parsed.Name !== PARAMETER)
        return send(400, { __type: 'ParameterNotFound', message: 'Parameter not found.' });
      send(200, {
        Parameter: { Name: PARAMETER, Type: 'SecureString', Value: ssm.value, Version: 1, DataType: 'text' },
      });
    });
  });
  await new Promise<void>((r) => ssmServer.listen(0, '127.0.0.1', r));
  ssmUrl = `http://127.0.0.1:${(ssmServer.address() as AddressInfo).port}`;
});
afterAll(
  () =>
    new Promise<void>((r) => {
      ssmServer.closeAllConnections();
      ssmServer.close(() => r());
    }),
);
beforeEach(() => {
  ssm.value = `${hashKey('sk-other')},${hashKey(KEY)}`;
  ssm.requests = [];
});

const ssmClient = () =>
  new SSMClient({ endpoint: ssmUrl, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });

describe('authorizer logic (fake key source)', () => {
  it('allows a listed key, in any case of the Bearer scheme', async () => {
    const authorize = createAuthorizer(fakeSource([hashKey(KEY)]));
    expect(await authorize(event({ authorization: `Bearer ${KEY}` }))).toEqual({ isAuthorized: true });
    expect(await authorize(event({ authorization: `bearer  ${KEY} ` }))).toEqual({ isAuthorized: true });
    expect(await authorize(event({ Authorization: `Bearer ${KEY}` }))).toEqual({ isAuthorized: true });
  });

  it('denies a wrong key, no header, another scheme and an empty bearer; only a key reads the source', async () => {
    const source = fakeSource([hashKey(KEY)]);
    const authorize = createAuthorizer(source);
    const denied: APIGatewaySimpleAuthorizerResult = { isAuthorized: false };
    expect(await authorize(event({ authorization: 'Bearer sk-wrong' }))).toEqual(denied);
    expect(source.reads).toBe(1);
    expect(await authorize(event())).toEqual(denied);
    expect(await authorize({ ...event(), headers: undefined })).toEqual(denied);
    expect(await authorize(event({ authorization: 'Basic x' }))).toEqual(denied);
    expect(await authorize(event({ authorization: `Basic ${KEY}` }))).toEqual(denied);
    expect(await authorize(event({ authorization: 'Bearer ' }))).toEqual(denied);
    expect(await authorize(event({ authorization: KEY }))).toEqual(denied);
    expect(source.reads).toBe(1);
  });

  it('denies everyone when no hash is listed', async () => {
    const authorize = createAuthorizer(fakeSource([]));
    expect(await authorize(event({ authorization: `Bearer ${KEY}` }))).toEqual({ isAuthorized: false });
  });
});

describe('CachedKeySource', () => {
  it('reads once within the TTL, again after it (rotation), and does not keep a failed read', async () => {
    let now = 1_000_000;
    let fail = false;
    let reads = 0;
    const source: KeySource = {
      hashes: () => {
        reads++;
        return fail ? Promise.reject(new Error('throttled')) : Promise.resolve(new Set([String(reads)]));
      },
    };
    const cached = new CachedKeySource(source, 300_000, () => now);
    expect(await cached.hashes()).toEqual(new Set(['1']));
    now += 299_999;
    expect(await cached.hashes()).toEqual(new Set(['1']));
    expect(reads).toBe(1);
    now += 1;
    expect(await cached.hashes()).toEqual(new Set(['2']));
    now += 300_000;
    fail = true;
    await expect(cached.hashes()).rejects.toThrow('throttled');
    fail = false;
    expect(await cached.hashes()).toEqual(new Set(['4']));
    expect(reads).toBe(4);
  });

  it('shares one read between concurrent callers', async () => {
    const source = fakeSource(['a']);
    const cached = new CachedKeySource(source, 300_000);
    await Promise.all([cached.hashes(), cached.hashes(), cached.hashes()]);
    expect(source.reads).toBe(1);
  });
});

describe('SsmKeySource (the real SSM client against a local SSM-protocol server)', () => {
  it('reads the parameter with decryption and parses its hashes', async () => {
    const hashes = await new SsmKeySource(ssmClient(), PARAMETER).hashes();
    expect(hashes).toEqual(new Set([hashKey('sk-other'), hashKey(KEY)]));
    expect(ssm.requests).toEqual([
      { target: 'AmazonSSM.GetParameter', body: { Name: PARAMETER, WithDecryption: true } },
    ]);
  });

  it('takes newline-separated values and rejects a malformed one without echoing it', async () => {
    ssm.value = `${hashKey('a')}\n${hashKey('b')}\n`;
    expect((await new SsmKeySource(ssmClient(), PARAMETER).hashes()).size).toBe(2);
    ssm.value = `${hashKey('a')},${KEY}`;
    const error = (await new SsmKeySource(ssmClient(), PARAMETER).hashes().then(
      () => null,
      (e: unknown) => e,
    )) as Error;
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toMatch(/entry 2 is not a SHA-256 hash/);
    expect(error.message).not.toContain(KEY);
  });

  it('fails with SSM’s error when the parameter is missing', async () => {
    ssm.value = null;
    await expect(new SsmKeySource(ssmClient(), PARAMETER).hashes()).rejects.toMatchObject({
      name: 'ParameterNotFound',
    });
  });
});

describe('createKeySource', () => {
  it('requires API_KEYS_PARAMETER and a whole number of seconds in API_KEYS_CACHE_S', () => {
    expect(() => createKeySource(loadConfig({}))).toThrow(/API_KEYS_PARAMETER is not set/);
    expect(() => loadConfig({ API_KEYS_PARAMETER: PARAMETER, API_KEYS_CACHE_S: '5m' })).toThrow(/API_KEYS_CACHE_S/);
    expect(createKeySource(loadConfig({ API_KEYS_PARAMETER: PARAMETER }))).toBeInstanceOf(CachedKeySource);
  });
});

describe('the deployed handler (configured by its environment, real SSM client)', () => {
  type Handler = (event: APIGatewayRequestAuthorizerEventV2) => Promise<APIGatewaySimpleAuthorizerResult>;
  let errors: ReturnType<typeof vi.spyOn>;

  /** A fresh copy of the module (a cold start) with this environment; the SDK is pointed at the local server. */
  async function coldStart(env: Record<string, string>): Promise<Handler> {
    const all: Record<string, string> = {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'x',
      AWS_SECRET_ACCESS_KEY: 'x',
      AWS_ENDPOINT_URL_SSM: ssmUrl,
      API_KEYS_PARAMETER: PARAMETER,
      ...env,
    };
    for (const [name, value] of Object.entries(all)) vi.stubEnv(name, value);
    vi.resetModules();
    return (await import('../../functions/authorizer/handler.js')).handler;
  }

  beforeEach(() => {
    errors = vi.spyOn(console, 'error').mockImplementation(() => {});
  });
  afterEach(() => {
    vi.unstubAllEnvs();
    errors.mockRestore();
  });

  it('allows the key and denies others, reading SSM once within the cache TTL', async () => {
    const handler = await coldStart({ API_KEYS_CACHE_S: '300' });
    expect(await handler(event({ authorization: `Bearer ${KEY}` }))).toEqual({ isAuthorized: true });
    expect(await handler(event({ authorization: 'Bearer sk-wrong' }))).toEqual({ isAuthorized: false });
    expect(await handler(event({ authorization: 'Basic x' }))).toEqual({ isAuthorized: false });
    expect(await handler(event({ authorization: 'Bearer ' }))).toEqual({ isAuthorized: false });
    expect(await handler(event())).toEqual({ isAuthorized: false });
    expect(ssm.requests).toHaveLength(1);
    expect(ssm.requests[0]).toEqual({
      target: 'AmazonSSM.GetParameter',
      body: { Name: PARAMETER, WithDecryption: true },
    });
  });

  it('sees a rotation on the next read when the cache is off (API_KEYS_CACHE_S=0)', async () => {
    const handler = await coldStart({ API_KEYS_CACHE_S: '0' });
    expect(await handler(event({ authorization: `Bearer ${KEY}` }))).toEqual({ isAuthorized: true });
    ssm.value = hashKey('sk-next');
    expect(await handler(event({ authorization: `Bearer ${KEY}` }))).toEqual({ isAuthorized: false });
    expect(await handler(event({ authorization: 'Bearer sk-next' }))).toEqual({ isAuthorized: true });
    expect(ssm.requests).toHaveLength(3);
  });

  it('fails (API Gateway answers 500) while the key list cannot be read, logging no key or hash', async () => {
    ssm.value = null;
    const handler = await coldStart({});
    await expect(handler(event({ authorization: `Bearer ${KEY}` }))).rejects.toMatchObject({
      name: 'ParameterNotFound',
    });
    ssm.value = hashKey(KEY);
    expect(await handler(event({ authorization: `Bearer ${KEY}` }))).toEqual({ isAuthorized: true });
    const logged = errors.mock.calls.flat().join('\n');
    expect(logged).toContain('API keys could not be read');
    expect(logged).not.toContain(KEY);
    expect(logged).not.toContain(hashKey(KEY));
  });
});
