import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFrontDoor, type FrontDoor } from '../../local/frontDoor.js';
import { bearerKey, hashKey, isAllowedKey } from '../../shared/api/apiKeys.js';

let upstream: http.Server;
let upstreamUrl: string;
let closedEarly = 0;
/** Listeners told when the upstream sees a /slow request closed before it answered. */
const onClosedEarly: (() => void)[] = [];

beforeAll(async () => {
  upstream = http.createServer((req, res) => {
    if (req.url === '/slow') {
      res.on('close', () => {
        if (res.writableFinished) return;
        closedEarly++;
        onClosedEarly.splice(0).forEach((notify) => notify());
      });
      return; // never answers
    }
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      res.writeHead(201, { 'content-type': 'application/json', 'x-upstream': 'yes' });
      res.end(JSON.stringify({ method: req.method, url: req.url, body }));
    });
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
});
afterAll(
  () =>
    new Promise<void>((r) => {
      upstream.closeAllConnections();
      upstream.close(() => r());
    }),
);

async function withDoor(
  upstreamOf: () => string | null,
  deadlineMs: number,
  test: (door: FrontDoor) => Promise<void>,
  authorize?: (req: http.IncomingMessage) => boolean,
) {
  const door = await startFrontDoor({ port: 0, upstream: upstreamOf, label: 'the functions', deadlineMs, authorize });
  try {
    await test(door);
  } finally {
    await door.close();
  }
}

describe('front door of a restartable part', () => {
  it('passes method, path, body, status and headers through while the part is up', async () => {
    await withDoor(
      () => upstreamUrl,
      5000,
      async (door) => {
        const res = await fetch(`${door.url}/query?x=1`, { method: 'POST', body: '{"q":1}' });
        expect(res.status).toBe(201);
        expect(res.headers.get('x-upstream')).toBe('yes');
        expect(await res.json()).toEqual({ method: 'POST', url: '/query?x=1', body: '{"q":1}' });
      },
    );
  });

  it.each(['http://169.254.169.254/page/x', '//other-host/page/x'])(
    'refuses the request target %s with 400 instead of proxying it to another host, even for page paths',
    async (target) => {
      let authorizeCalls = 0;
      await withDoor(
        () => upstreamUrl,
        5000,
        async (door) => {
          const { port } = new URL(door.url);
          const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
            const req = http.request({ host: '127.0.0.1', port, path: target, method: 'GET' }, (res) => {
              let body = '';
              res.on('data', (c: Buffer) => (body += c.toString()));
              res.on('end', () => resolve({ status: res.statusCode!, body }));
            });
            req.on('error', reject);
            req.end();
          });
          expect(answer).toEqual({ status: 400, body: '{"error":"the request target must be a path"}' });
        },
        () => {
          authorizeCalls++;
          return true; // a key check that would let anything through: the target is refused before it
        },
      );
      expect(authorizeCalls).toBe(0);
    },
  );

  it('answers 503 with Retry-After and a message while the part is down', async () => {
    await withDoor(
      () => null,
      5000,
      async (door) => {
        const res = await fetch(`${door.url}/query`, { method: 'POST', body: '{}' });
        expect(res.status).toBe(503);
        expect(res.headers.get('retry-after')).toBe('2');
        expect(((await res.json()) as { error: string }).error).toMatch(/the functions are restarting/);
      },
    );
  });

  it('answers 503 when the part refuses the connection (it just died)', async () => {
    const dead = http.createServer();
    await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r));
    const deadUrl = `http://127.0.0.1:${(dead.address() as AddressInfo).port}`;
    await new Promise<void>((r) => dead.close(() => r()));
    await withDoor(
      () => deadUrl,
      5000,
      async (door) => {
        const res = await fetch(`${door.url}/query`, { method: 'POST', body: '{}' });
        expect(res.status).toBe(503);
      },
    );
  });

  it('answers 504 past the deadline and drops the request behind it', async () => {
    await withDoor(
      () => upstreamUrl,
      300,
      async (door) => {
        const dropped = new Promise<void>((resolve) => onClosedEarly.push(resolve));
        const res = await fetch(`${door.url}/slow`);
        expect(res.status).toBe(504);
        expect(((await res.json()) as { error: string }).error).toMatch(/no answer within 0.3 s/);
        await dropped;
        expect(closedEarly).toBe(1);
      },
    );
  });
});

describe('API keys at the front door (as npm start wires API_KEYS)', () => {
  const hashes = new Set([hashKey('dev-key')]);
  const authorize = (req: http.IncomingMessage) => isAllowedKey(bearerKey(req.headers.authorization), hashes);

  it('answers 401 with WWW-Authenticate: Bearer to a request without the right key, before the part', async () => {
    await withDoor(
      () => upstreamUrl,
      5000,
      async (door) => {
        for (const headers of [{}, { authorization: 'Bearer wrong' }, { authorization: 'Basic eDp5' }] as Record<
          string,
          string
        >[]) {
          const res = await fetch(`${door.url}/query`, { method: 'POST', body: '{"q":1}', headers });
          expect(res.status).toBe(401);
          expect(res.headers.get('www-authenticate')).toBe('Bearer');
          expect(res.headers.get('x-upstream')).toBeNull();
          expect(await res.json()).toEqual({ error: 'missing or invalid API key' });
        }
      },
      authorize,
    );
  });

  it('passes a request with the right key through', async () => {
    await withDoor(
      () => upstreamUrl,
      5000,
      async (door) => {
        const res = await fetch(`${door.url}/query`, {
          method: 'POST',
          body: '{"q":1}',
          headers: { authorization: 'bearer dev-key' },
        });
        expect(res.status).toBe(201);
        expect(await res.json()).toEqual({ method: 'POST', url: '/query', body: '{"q":1}' });
      },
      authorize,
    );
  });

  it('stays open without authorize', async () => {
    await withDoor(
      () => upstreamUrl,
      5000,
      async (door) => {
        const res = await fetch(`${door.url}/query`, { method: 'POST', body: '{}' });
        expect(res.status).toBe(201);
      },
    );
  });
});
