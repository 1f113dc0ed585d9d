import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { describeEachDialect } from './support/test-app.js';

/**
 * Every response carries helmet's security headers with Rollbook's Content-Security-Policy — API
 * answers, errors (an unknown route, a body that is not JSON) and pages alike — and Strict-Transport-
 * Security only where PUBLIC_URL is https (a classroom on plain http must not be told to upgrade).
 */

// A stand-in for the built web app: one page.
const webDir = mkdtempSync(path.join(os.tmpdir(), 'rollbook-web-'));
writeFileSync(path.join(webDir, 'index.html'), '<!doctype html><html><body><div id="root"></div></body></html>\n');
afterAll(() => rmSync(webDir, { recursive: true, force: true }));

type Headers = Record<string, string | string[] | number | undefined>;

function expectSecurityHeaders(headers: Headers) {
  const csp = String(headers['content-security-policy']);
  expect(csp).toContain("default-src 'self'");
  expect(csp).toContain("script-src 'self'");
  expect(csp).toContain("style-src 'self' 'unsafe-inline'");
  expect(csp).toContain("img-src 'self' data: blob:");
  expect(csp).toContain("connect-src 'self' ws: wss:");
  expect(csp).toContain("frame-ancestors 'self'");
  expect(csp).not.toContain('upgrade-insecure-requests');
  expect(headers['x-content-type-options']).toBe('nosniff');
  expect(headers['x-frame-options']).toBe('SAMEORIGIN');
  expect(headers['referrer-policy']).toBe('no-referrer');
  expect(headers['cross-origin-opener-policy']).toBe('same-origin');
  expect(headers['cross-origin-resource-policy']).toBe('same-origin');
  expect(headers['x-powered-by']).toBeUndefined();
}

describeEachDialect(
  'security headers on a plain-http server',
  (ctx) => {
    it('are on an API answer, without Strict-Transport-Security', async () => {
      const res = await ctx().request({ method: 'GET', url: '/api/health' });
      expect(res.statusCode).toBe(200);
      expectSecurityHeaders(res.headers);
      expect(res.headers['strict-transport-security']).toBeUndefined();
    });

    it('are on errors: an unknown route and a body that is not JSON', async () => {
      const missing = await ctx().request({ method: 'GET', url: '/api/no-such-thing' });
      expect(missing.statusCode).toBe(404);
      expectSecurityHeaders(missing.headers);
      const bad = await ctx().request({ method: 'POST', url: '/api/auth/login', headers: { 'content-type': 'application/json' }, payload: '{"username":' });
      expect(bad.statusCode).toBe(400);
      expectSecurityHeaders(bad.headers);
    });

    it('are on a page', async () => {
      const res = await ctx().request({ method: 'GET', url: '/courses' });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expectSecurityHeaders(res.headers);
    });
  },
  { WEB_DIR: webDir },
);

describeEachDialect(
  'security headers on a server whose PUBLIC_URL is https',
  (ctx) => {
    it('add Strict-Transport-Security', async () => {
      const res = await ctx().request({ method: 'GET', url: '/api/health' });
      expectSecurityHeaders(res.headers);
      expect(res.headers['strict-transport-security']).toMatch(/^max-age=\d+; includeSubDomains$/);
    });
  },
  { PUBLIC_URL: 'https://rollbook.example.edu' },
);
