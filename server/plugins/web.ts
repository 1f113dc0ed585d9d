import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Config } from '../config.js';
import { sendProblem } from '../errors.js';
import { projectRoot } from '../lib/package-info.js';

/** Hashed file names change with their content: browsers may keep them for a year without asking. */
const IMMUTABLE = 'public, max-age=31536000, immutable';
/** index.html (and the few unhashed files) must be revalidated, so a deploy is seen at the next load. */
const REVALIDATE = 'no-cache';

/**
 * Serves the built SPA from WEB_DIR; unknown non-API GETs get index.html so client-side routes work on
 * reload. The build writes `<file>.br` and `<file>.gz` next to each asset (vite.config.ts) and they are
 * sent as they are to browsers that accept them (`preCompressed`): nothing is compressed per request.
 *
 * When WEB_DIR exists but holds no index.html yet — `npm start` builds the web app next to the already
 * running server on a first start (scripts/start.mjs) — pages get a short 503 page that reloads itself
 * until the build has written index.html; the API answers meanwhile.
 */
export async function registerWeb(app: FastifyInstance, config: Config): Promise<void> {
  const webDir = path.resolve(projectRoot, config.WEB_DIR);
  const assetsDir = path.join(webDir, 'assets') + path.sep;
  const indexFile = path.join(webDir, 'index.html');
  const hasWebDir = existsSync(webDir) && statSync(webDir).isDirectory();
  // Checked on each page request until it exists, then remembered.
  let built = false;
  const isBuilt = () => built || (built = existsSync(indexFile));

  if (hasWebDir) {
    await app.register(fastifyStatic, {
      root: webDir,
      wildcard: false,
      index: false,
      cacheControl: false,
      preCompressed: true,
      setHeaders: (res, file) => {
        res.setHeader('cache-control', file.startsWith(assetsDir) ? IMMUTABLE : REVALIDATE);
        // The same URL is sent as br, gzip or plain depending on the request: caches must key on it.
        res.setHeader('vary', 'accept-encoding');
      },
    });
    app.get('/assets/*', { schema: { hide: true } }, (request, reply) => {
      const file = (request.params as { '*': string })['*'];
      return reply.sendFile(path.join('assets', file));
    });
  }

  app.setNotFoundHandler((request, reply) => {
    const url = request.url.split('?')[0];
    const isPage = (request.method === 'GET' || request.method === 'HEAD') && !url.startsWith('/api/') && url !== '/api';
    // A missing hashed asset is a 404, never index.html: a stale page must not run HTML as a script.
    if (hasWebDir && isPage && !url.startsWith('/assets/')) {
      if (!isBuilt()) return sendBuilding(reply);
      const file = url.slice(1);
      if (file && !file.includes('..') && path.extname(file) && existsSync(path.join(webDir, file))) {
        return reply.sendFile(file);
      }
      return reply.sendFile('index.html');
    }
    return sendProblem(reply, {
      type: 'about:blank',
      title: 'Not found',
      status: 404,
      code: 'not_found',
      detail: `No route for ${request.method} ${url}`,
    });
  });
}

/** What a browser sees while the first build runs: it says so and reloads itself (no script: CSP). */
function sendBuilding(reply: FastifyReply): FastifyReply {
  return reply
    .status(503)
    .header('cache-control', 'no-store')
    .header('retry-after', '3')
    .type('text/html; charset=utf-8')
    .send(BUILDING_PAGE);
}

const BUILDING_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="3">
<meta name="color-scheme" content="light dark">
<title>Rollbook is starting</title>
<style>
body{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f8f9fa;color:#212529}
@media (prefers-color-scheme: dark){body{background:#1a1b1e;color:#c1c2c5}}
main{max-width:28rem;padding:1.5rem;text-align:center}
</style>
</head>
<body>
<main>
<h1>Rollbook is starting</h1>
<p>The web app is being built (this happens once, on the first start). This page reloads by itself when it is ready.</p>
</main>
</body>
</html>
`;
