import middy from '@middy/core';
import { NotFoundError } from '../../shared/pipeline/errors.js';
import { HttpAnswer, httpEdge, type Request } from '../edge.js';
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
 * models: there is nothing to load, and the edge's one warning per unknown file goes to the console.
 */
async function page({ http }: Request): Promise<HttpAnswer> {
  const path = http?.path ?? '';
  if (!isPagePath(path)) throw new NotFoundError(`no page file at ${path}`);
  return new HttpAnswer(200, PAGE_BODIES[path], { 'content-type': PAGE_FILES[path], ...HEADERS });
}

export const handler = middy(page).use(httpEdge({ name: 'page', log: console, takesBody: () => false }));
