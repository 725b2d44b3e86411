import http from 'node:http';
import type { InvokeResult } from './ingestQueue.js';

/** Invokes a function through the Lambda invoke API; throws only when the API cannot be reached. */
export function invokeFunction(url: string, payload: unknown): Promise<InvokeResult> {
  // node:http rather than fetch: an ingest may run for minutes, past fetch's 300 s header timeout.
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const failed = res.statusCode !== 200 || res.headers['x-amz-function-error'] !== undefined;
        if (!failed) return resolve({ ok: true, body });
        let message = body;
        try {
          message = (JSON.parse(body) as { errorMessage?: string }).errorMessage ?? body;
        } catch {
          // not JSON: keep the text
        }
        resolve({ ok: false, error: `${res.statusCode} ${message}` });
      });
    });
    request.on('error', reject);
    request.end(JSON.stringify(payload));
  });
}
