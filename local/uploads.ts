import type http from 'node:http';
import { checkDocumentHeader, type DocumentRules } from '../shared/pipeline/ingest/document.js';
import { BadRequestError, UnavailableError } from '../shared/pipeline/errors.js';
import { extractText } from '../shared/adapters/extract/index.js';
import { sendJson } from './frontDoor.js';
import { toErrorResponse } from '../shared/api/errorResponses.js';

/** Where the local stack takes uploads (the search page's upload box); a deployed API has no such route. */
export const UPLOADS_PATH = '/local/uploads';

export interface UploadRouteOptions {
  /** The local S3 server, e.g. http://127.0.0.1:4569. */
  s3Endpoint: string;
  /** The documents bucket: a stored upload fires the ingest function. */
  bucket: string;
  /** Key prefix of uploads (the documents bucket's notification prefix on AWS), e.g. `docs/`. */
  prefix: string;
  /** What ingestion accepts (config.ingest): an upload it would skip is refused before it is stored. */
  rules: DocumentRules;
  /** Where an unexpected failure is told (the answer says only "internal error"). */
  log?: (line: string) => void;
}

type Route = (req: http.IncomingMessage, res: http.ServerResponse) => boolean;

/** The file name of `PUT /local/uploads/<name>`: one plain name, no folders, no control characters. */
function fileName(encoded: string): string {
  let name: string;
  try {
    name = decodeURIComponent(encoded);
  } catch {
    throw new BadRequestError('the file name is not valid URL encoding');
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
  if (!name || name.length > 255 || name.startsWith('.') || /[/\\\u0000-\u001f\u007f]/.test(name)) {
    throw new BadRequestError('the file name must be a plain name (no folders, not starting with ".")');
  }
  return name;
}

/**
 * The body, refused as soon as it passes the size limit (the same rule and message as ingestion's); the rest of
 * a refused body is read and dropped, so the client gets the answer rather than a reset connection.
 */
function readBody(req: http.IncomingMessage, name: string, rules: DocumentRules): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    let refused = false;
    req.on('data', (chunk: Buffer) => {
      if (refused) return;
      bytes += chunk.length;
      try {
        checkDocumentHeader(name, bytes, rules);
        chunks.push(chunk);
      } catch (error) {
        refused = true;
        chunks.length = 0;
        reject(error);
      }
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

async function store(options: UploadRouteOptions, key: string, body: Uint8Array): Promise<void> {
  const target = `${options.s3Endpoint}/${options.bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
  let status: number;
  try {
    status = (await fetch(target, { method: 'PUT', body, signal: AbortSignal.timeout(30_000) })).status;
  } catch (cause) {
    throw new UnavailableError('the local S3 server is not reachable; retry in a few seconds', { cause });
  }
  if (status !== 200) throw new UnavailableError(`the local S3 server did not store the file (${status}); retry`);
}

async function answer(req: http.IncomingMessage, res: http.ServerResponse, options: UploadRouteOptions) {
  const { pathname } = new URL(req.url ?? '/', 'http://local');
  if (pathname === UPLOADS_PATH && req.method === 'GET') {
    req.resume();
    const { extensions, maxBytes } = options.rules;
    return sendJson(res, 200, { extensions, maxBytes, prefix: options.prefix });
  }
  if (req.method !== 'PUT' || pathname === UPLOADS_PATH) {
    req.resume();
    return sendJson(res, 405, { error: `PUT ${UPLOADS_PATH}/<file name> uploads a file` }, { allow: 'GET, PUT' });
  }
  const name = fileName(pathname.slice(UPLOADS_PATH.length + 1));
  const declared = req.headers['content-length'];
  checkDocumentHeader(name, declared === undefined ? undefined : Number(declared), options.rules);
  const body = await readBody(req, name, options.rules);
  if ((await extractText(name, body, options.rules)).text.trim() === '')
    throw new BadRequestError('the file has no text');
  const key = `${options.prefix}${name}`;
  await store(options, key, body);
  sendJson(res, 200, { source: key, bytes: body.byteLength });
}

/**
 * The local stack's upload route, for the local front door: `GET /local/uploads` tells the limits, `PUT
 * /local/uploads/<file name>` checks the file as ingestion would (type, size, its text extracted) and stores it under
 * the prefix in the documents bucket, which fires the ingest function. Same origin as the page and behind the
 * same API key check as /query, so the browser needs no CORS and no S3 credentials. Answers `{"error"}` with
 * the project's statuses (400, 405, 422, 503), never a stack or a path.
 */
export function uploadRoute(options: UploadRouteOptions): Route {
  return (req, res) => {
    const { pathname } = new URL(req.url ?? '/', 'http://local');
    if (pathname !== UPLOADS_PATH && !pathname.startsWith(`${UPLOADS_PATH}/`)) return false;
    answer(req, res, options).catch((error: unknown) => {
      const { status, headers, body } = toErrorResponse(error);
      if (status === 500) options.log?.(`[uploads] ${(error as Error).message}`);
      req.resume(); // a body refused before it was read is read and dropped, so the client gets the answer
      if (res.headersSent) res.destroy();
      else sendJson(res, status, body, headers);
    });
    return true;
  };
}
