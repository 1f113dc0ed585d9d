import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { brotliCompressSync, brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, expect, it } from 'vitest';
import { describeEachDialect } from './support/test-app.js';

/**
 * How the server sends the built web app: precompressed files as they are (br, else gzip, else
 * plain), hashed assets cached for good, index.html revalidated, client-side routes answered with
 * index.html, a missing asset a 404 (never index.html), and a "starting" page while the first build
 * has not written index.html yet. The web app here is a small stand-in written by the test; the real
 * build's files are checked in the browser (test/e2e/phone-page.e2e.test.ts).
 */

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const INDEX = '<!doctype html><html><head><script type="module" src="/assets/index-abc123.js"></script></head><body><div id="root"></div></body></html>\n';
// Repetitive enough that both encodings are much smaller than the file.
const SCRIPT = Array.from({ length: 400 }, (_, i) => `export const value${i} = 'rollbook check-in ${i % 7}';`).join('\n');

function writeWebDir(withIndex: boolean): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rollbook-web-'));
  dirs.push(dir);
  mkdirSync(path.join(dir, 'assets'));
  const files: Record<string, string> = { 'assets/index-abc123.js': SCRIPT, 'favicon.svg': '<svg xmlns="http://www.w3.org/2000/svg"/>' };
  if (withIndex) files['index.html'] = INDEX;
  for (const [name, content] of Object.entries(files)) {
    writeFileSync(path.join(dir, name), content);
    // Markers inside the compressed files prove which file was sent, not just that some encoding was.
    writeFileSync(path.join(dir, `${name}.br`), brotliCompressSync(content));
    writeFileSync(path.join(dir, `${name}.gz`), gzipSync(content));
  }
  return dir;
}

const builtDir = writeWebDir(true);
const buildingDir = writeWebDir(false);

describeEachDialect(
  'serving the built web app',
  (ctx) => {
    const get = (url: string, acceptEncoding?: string) =>
      ctx().request({ method: 'GET', url, headers: acceptEncoding === undefined ? {} : { 'accept-encoding': acceptEncoding } });

    it('sends the brotli file to a browser that accepts br, with a year of immutable caching', async () => {
      const res = await get('/assets/index-abc123.js', 'gzip, deflate, br, zstd');
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-encoding']).toBe('br');
      expect(res.headers['content-type']).toMatch(/^(text|application)\/javascript/);
      expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      expect(res.headers.vary).toMatch(/accept-encoding/i);
      expect(Number(res.headers['content-length'])).toBe(brotliCompressSync(SCRIPT).length);
      expect(brotliDecompressSync(res.rawPayload).toString()).toBe(SCRIPT);
    });

    it('sends gzip where br is not accepted and the plain file where nothing is', async () => {
      const gz = await get('/assets/index-abc123.js', 'gzip');
      expect(gz.headers['content-encoding']).toBe('gzip');
      expect(gunzipSync(gz.rawPayload).toString()).toBe(SCRIPT);
      expect(gz.headers['cache-control']).toBe('public, max-age=31536000, immutable');

      const plain = await get('/assets/index-abc123.js');
      expect(plain.statusCode).toBe(200);
      expect(plain.headers['content-encoding']).toBeUndefined();
      expect(plain.body).toBe(SCRIPT);

      const refused = await get('/assets/index-abc123.js', 'br;q=0, gzip;q=0, identity');
      expect(refused.headers['content-encoding']).toBeUndefined();
      expect(refused.body).toBe(SCRIPT);
    });

    it('answers client-side routes with index.html that browsers must revalidate', async () => {
      for (const url of ['/', '/c/7b6f0c1e-0000-4000-8000-000000000000', '/checkin?from=qr']) {
        const res = await get(url, 'br');
        expect(res.statusCode, url).toBe(200);
        expect(res.headers['content-type']).toMatch(/^text\/html/);
        expect(res.headers['content-encoding']).toBe('br');
        expect(res.headers['cache-control']).toBe('no-cache');
        expect(brotliDecompressSync(res.rawPayload).toString()).toBe(INDEX);
      }
      const plain = await get('/');
      expect(plain.body).toBe(INDEX);
    });

    it('revalidates unhashed files such as the favicon', async () => {
      const res = await get('/favicon.svg', 'br');
      expect(res.statusCode).toBe(200);
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.headers['content-encoding']).toBe('br');
    });

    it('answers a missing asset with a 404 problem, never with index.html', async () => {
      const res = await get('/assets/index-gone999.js', 'br');
      expect(res.statusCode).toBe(404);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.json()).toMatchObject({ status: 404, code: 'not_found' });
    });

    it('keeps unknown API paths 404 problems', async () => {
      const res = await get('/api/no-such-thing', 'br');
      expect(res.statusCode).toBe(404);
      expect(res.json()).toMatchObject({ code: 'not_found' });
    });
  },
  { WEB_DIR: builtDir },
);

describeEachDialect(
  'while the first build runs',
  (ctx) => {
    it('shows a self-reloading 503 page until index.html is written, then the web app; the API answers throughout', async () => {
      // Each dialect's server starts on the same folder: start from "not built" every time.
      rmSync(path.join(buildingDir, 'index.html'), { force: true });
      const before = await ctx().request({ method: 'GET', url: '/checkin' });
      expect(before.statusCode).toBe(503);
      expect(before.headers['content-type']).toMatch(/^text\/html/);
      expect(before.headers['cache-control']).toBe('no-store');
      expect(before.headers['retry-after']).toBe('3');
      expect(before.body).toContain('<meta http-equiv="refresh"');
      expect(before.body).not.toContain('<div id="root">');
      expect((await ctx().request({ method: 'GET', url: '/api/health' })).json()).toEqual({ ok: true });

      writeFileSync(path.join(buildingDir, 'index.html'), INDEX);
      const after = await ctx().request({ method: 'GET', url: '/checkin' });
      expect(after.statusCode).toBe(200);
      expect(after.body).toBe(INDEX);
    });
  },
  { WEB_DIR: buildingDir },
);
