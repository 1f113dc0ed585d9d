import { describe, inject } from 'vitest';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { buildApp } from '../../server/app.js';
import { parseConfig } from '../../server/config.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const WEB_DIR = path.join(root, 'dist/web');

export const ADMIN = { username: 'admin', password: 'admin-password-1' } as const;

export interface E2EServer {
  app: FastifyInstance;
  /** e.g. http://127.0.0.1:41234 */
  url: string;
  dataDir: string;
  close(): Promise<void>;
}

/** A real server on a fresh SQLite database in a temp dir, serving the built SPA, with ADMIN as its first admin. */
export async function startServer(env: Record<string, string> = {}): Promise<E2EServer> {
  if (!existsSync(path.join(WEB_DIR, 'index.html'))) {
    throw new Error(`${WEB_DIR}/index.html is missing: run the e2e project (its globalSetup builds it) or npm run build:web`);
  }
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'rollbook-e2e-'));
  const config = parseConfig({
    DATABASE_URL: `sqlite:${path.join(dataDir, 'rollbook.db')}`,
    DATA_DIR: dataDir,
    ADMIN_USERNAME: ADMIN.username,
    ADMIN_PASSWORD: ADMIN.password,
    WEB_DIR,
    LOG_LEVEL: 'silent',
    JOBS: '0',
    ...env,
  });
  const app = await buildApp(config);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  return {
    app,
    url: `http://127.0.0.1:${port}`,
    dataDir,
    close: async () => {
      await app.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * A browser suite: runs when Chromium is installed (test/support/global-setup.ts decides; with
 * REQUIRE_BROWSER=1, as in CI, a missing Chromium fails the run instead).
 */
export function describeBrowser(name: string, body: () => void): void {
  describe.runIf(inject('browserPath') !== null)(name, body);
}

/** Debian's Chromium, headless. Never downloads a browser: install it with `apt-get install chromium`. */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`No Chromium at ${CHROMIUM_PATH}: apt-get install chromium, or set CHROMIUM_PATH`);
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--headless=new',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export interface BrowserPage {
  context: BrowserContext;
  page: Page;
  /** Uncaught page errors and console errors, to print when a step fails. */
  problems: string[];
}

async function openPage(browser: Browser, baseURL: string, options: Parameters<Browser['newContext']>[0]): Promise<BrowserPage> {
  const context = await browser.newContext({ baseURL, ...options });
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
  });
  return { context, page, problems };
}

/** A phone-sized context (iPhone 14-ish: 390×844, touch, mobile viewport). */
export function openPhonePage(browser: Browser, baseURL: string): Promise<BrowserPage> {
  return openPage(browser, baseURL, {
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 3,
    isMobile: true,
    hasTouch: true,
  });
}

export function openDesktopPage(browser: Browser, baseURL: string): Promise<BrowserPage> {
  return openPage(browser, baseURL, { viewport: { width: 1280, height: 800 } });
}

/** Fills the sign-in form and submits it; the caller checks where it lands. */
export async function signIn(page: Page, username: string, password: string): Promise<void> {
  if (!page.url().includes('/login')) await page.goto('/login');
  await page.getByRole('textbox', { name: 'Username or email', exact: true }).fill(username);
  await page.getByRole('textbox', { name: 'Password', exact: true }).fill(password);
  await page.getByTestId('login-submit').click();
}

/** Opens the account menu and signs out; resolves once the sign-in page shows. */
export async function signOut(page: Page): Promise<void> {
  await page.getByTestId('user-menu').click();
  await page.getByRole('menuitem', { name: 'Sign out' }).click();
  await page.getByTestId('login-form').waitFor();
}
