// The page's files, bundled as text by esbuild (`page-static` is an alias of ./static in serverless.yml's
// custom.esbuild; static.d.ts types them as strings). Nothing is read from disk at run time.
import api from 'page-static/api.js' with { type: 'text' };
import app from 'page-static/app.js' with { type: 'text' };
import html from 'page-static/index.html' with { type: 'text' };
import render from 'page-static/render.js' with { type: 'text' };
import documents from 'page-static/documents.js' with { type: 'text' };
import css from 'page-static/style.css' with { type: 'text' };
import type { PagePath } from './paths.js';

export const PAGE_BODIES: Record<PagePath, string> = {
  '/': html,
  '/page/style.css': css,
  '/page/app.js': app,
  '/page/api.js': api,
  '/page/render.js': render,
  '/page/documents.js': documents,
};
