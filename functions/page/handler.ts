import type { APIGatewayProxyEventV2, APIGatewayProxyResult } from 'aws-lambda';
import { NotFoundError } from '../../shared/pipeline/errors.js';
import { jsonResponse } from '../http.js';
import { PAGE_BODIES } from './files.js';
import { PAGE_FILES, isPagePath } from './paths.js';

/**
 * Same-origin only: the page's own files and the API beside it; no inline script or style, no framing. The
 * referrer is withheld, since a shared search URL carries its question.
 */
const HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; " +
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};

/**
 * `GET /` and `GET /page/{file}`: the search page (see paths.ts), served from the bundle. No Powertools, no
 * models: there is nothing to log and nothing to load.
 */
export async function handler(event: Pick<APIGatewayProxyEventV2, 'rawPath'>): Promise<APIGatewayProxyResult> {
  const path = event.rawPath;
  if (!isPagePath(path)) return jsonResponse(404, { error: new NotFoundError(`no page file at ${path}`).message });
  return { statusCode: 200, headers: { 'content-type': PAGE_FILES[path], ...HEADERS }, body: PAGE_BODIES[path] };
}
