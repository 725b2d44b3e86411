/**
 * The search page's files by URL path, with their content types (their bodies: files.ts). The page holds no
 * data, so these paths are served without an API key (a browser opening a URL cannot send one); every search it
 * makes is a POST /query carrying the key its user enters. serverless.yml routes them to the page function.
 */
export const PAGE_FILES = {
  '/': 'text/html; charset=utf-8',
  '/page/style.css': 'text/css; charset=utf-8',
  '/page/app.js': 'text/javascript; charset=utf-8',
  '/page/api.js': 'text/javascript; charset=utf-8',
  '/page/render.js': 'text/javascript; charset=utf-8',
  '/page/documents.js': 'text/javascript; charset=utf-8',
} as const;

export type PagePath = keyof typeof PAGE_FILES;

export function isPagePath(path: string): path is PagePath {
  return Object.hasOwn(PAGE_FILES, path);
}

/**
 * Whether a request is for the page's routes (serverless.yml: `GET /` and `GET /page/{file}`, no authorizer),
 * known file or not, so the local front door answers as API Gateway does: the page function's 404, not a 401.
 */
export function isPageRequest(method: string | undefined, url: string | undefined): boolean {
  if (method !== 'GET' && method !== 'HEAD') return false;
  return /^\/(page\/[^/]+)?$/.test(new URL(url ?? '/', 'http://page.invalid').pathname);
}
