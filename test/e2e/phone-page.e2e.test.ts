import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page, Response } from 'playwright-core';
import { afterAll, beforeAll, expect, it, onTestFailed } from 'vitest';
import { describeBrowser, launchBrowser, openPhonePage, signIn, startServer, WEB_DIR, type BrowserPage, type E2EServer } from './harness.js';
import { createUser, restAs, restAsAdmin, type Rest } from './rest.js';

/**
 * The student's phone page stays light: the JavaScript a phone downloads to check in (cold cache) is
 * at most 250 KB as transferred, all of it brotli, with no admin page and no chart code; and the first
 * paint is the loading shell from index.html, never a blank page. Runs against the real build
 * (dist/web, with its .br files and Vite manifest), served by the real server.
 */
const BUDGET_BYTES = 250 * 1000;

interface ManifestChunk {
  file: string;
  imports?: string[];
  dynamicImports?: string[];
  isEntry?: boolean;
  isDynamicEntry?: boolean;
}

interface Loaded {
  url: string;
  /** Bytes on the wire (the compressed body). */
  transferred: number;
  encoding: string | undefined;
  body: string;
}

describeBrowser('the phone check-in page: weight and first paint', () => {
  let server: E2EServer;
  let browser: Browser;
  const opened: BrowserPage[] = [];
  let manifest: Record<string, ManifestChunk>;

  let admin: Rest;
  let teacher: Rest;
  const student = { username: 'pia', password: 'pia-password-1', name: 'Pia Phone', number: 'S-4711' };
  let sessionId: string;
  let code: string;
  /** What the projector's QR opens: /c/<session>?t=<token>. */
  let qrPath: string;
  /** Cookies of a signed-in student, to open pages signed in with an empty HTTP cache. */
  let signedIn: Awaited<ReturnType<BrowserContext['storageState']>>;

  async function phone(options: { storageState?: typeof signedIn; colorScheme?: 'light' | 'dark'; inTest?: boolean } = {}): Promise<BrowserPage> {
    const bp = await openPhonePage(browser, server.url);
    opened.push(bp);
    if (options.storageState) await bp.context.addCookies(options.storageState.cookies);
    if (options.colorScheme) await bp.page.emulateMedia({ colorScheme: options.colorScheme });
    if (options.inTest !== false) {
      onTestFailed(() => {
        console.error(`[phone page ${bp.page.url()}]`);
        if (bp.problems.length > 0) console.error(bp.problems.join('\n'));
      });
    }
    return bp;
  }

  /** Records every JavaScript file the page fetches, with its transferred size and encoding. */
  function recordScripts(page: Page): Promise<Loaded>[] {
    const loads: Promise<Loaded>[] = [];
    page.on('response', (response: Response) => {
      const url = new URL(response.url());
      if (url.origin !== new URL(server.url).origin || !url.pathname.endsWith('.js')) return;
      loads.push(
        (async () => {
          const body = (await response.body()).toString('utf8');
          const sizes = await response.request().sizes();
          return { url: url.pathname, transferred: sizes.responseBodySize, encoding: (await response.allHeaders())['content-encoding'], body };
        })(),
      );
    });
    return loads;
  }

  /** The chunk files an admin page, the course report (charts) or any teacher page would load first. */
  function staffOnlyFiles(): Set<string> {
    const staff = Object.entries(manifest).filter(([source]) =>
      /src\/app\/routes\/app\/(admin\/|courses|course\.|sessions\/)|src\/app\/routes\/sessions\/projector|report-chart/.test(source),
    );
    expect(staff.length).toBeGreaterThan(5);
    return new Set(staff.map(([, chunk]) => `/${chunk.file}`));
  }

  /** Asserts what a phone loaded stays within the budget, brotli-encoded, with no staff or chart code. */
  async function expectLight(loads: Promise<Loaded>[], label: string): Promise<number> {
    const loaded = await Promise.all(loads);
    expect(loaded.length, label).toBeGreaterThan(0);
    const forbidden = staffOnlyFiles();
    for (const file of loaded) {
      expect(file.encoding, `${label}: ${file.url}`).toBe('br');
      expect(forbidden.has(file.url), `${label} loaded staff-only ${file.url}`).toBe(false);
      // Recharts' wrapper class: any chart code at all, however it was chunked.
      expect(file.body.includes('recharts-wrapper'), `${label}: chart code in ${file.url}`).toBe(false);
    }
    const total = loaded.reduce((sum, f) => sum + f.transferred, 0);
    console.log(`[phone page] ${label}: ${loaded.length} JS files, ${(total / 1000).toFixed(1)} KB brotli`);
    expect(total, `${label}: ${loaded.map((f) => `${f.url} ${f.transferred}`).join(', ')}`).toBeLessThanOrEqual(BUDGET_BYTES);
    return total;
  }

  beforeAll(async () => {
    manifest = JSON.parse(readFileSync(path.join(WEB_DIR, '.vite/manifest.json'), 'utf8')) as Record<string, ManifestChunk>;
    server = await startServer();
    browser = await launchBrowser();
    admin = await restAsAdmin(server);

    const tom = await createUser(admin, { role: 'teacher', username: 'tom', name: 'Tom Teacher', password: 'tom-password-1', staffNumber: 'T-1' });
    const pia = await createUser(admin, { role: 'student', username: student.username, name: student.name, password: student.password, studentNumber: student.number });
    const sam = await createUser(admin, { role: 'student', username: 'sam', name: 'Sam Second', password: 'sam-password-1', studentNumber: 'S-4712' });
    teacher = await restAs(server, 'tom', 'tom-password-1');
    const course = await admin.call<{ id: string }>('POST', '/api/courses', { code: 'PHY-101', name: 'Physics', teacherIds: [tom.id] });
    await admin.call('POST', `/api/courses/${course.id}/enrollments`, { studentIds: [pia.id, sam.id] });
    const startsAt = new Date(Date.now() - 5 * 60_000);
    const session = await teacher.call<{ id: string }>('POST', `/api/courses/${course.id}/sessions`, {
      startsAt: startsAt.toISOString(),
      endsAt: new Date(startsAt.getTime() + 60 * 60_000).toISOString(),
      venue: 'Hall 1',
    });
    sessionId = session.id;
    await teacher.call('POST', `/api/sessions/${sessionId}/open`, { methods: ['code', 'qr', 'link', 'rollcall', 'device'] });
    const current = await teacher.call<{ code: string; url: string }>('GET', `/api/sessions/${sessionId}/code`);
    code = current.code;
    const qr = new URL(current.url);
    qrPath = `${qr.pathname}${qr.search}`;
    expect(qr.pathname).toBe(`/c/${sessionId}`);

    const { page, context } = await phone({ inTest: false });
    await signIn(page, student.username, student.password);
    await page.getByTestId('user-menu').waitFor();
    signedIn = await context.storageState();
  });

  afterAll(async () => {
    for (const bp of opened) await bp.context.close().catch(() => {});
    await browser?.close();
    await server?.close();
  });

  it('the QR link, signed out: at most 250 KB of brotli JavaScript and no staff or chart code', async () => {
    const { page } = await phone();
    const loads = recordScripts(page);
    await page.goto(qrPath);
    await page.getByTestId('link-checkin-form').waitFor();
    await page.waitForLoadState('networkidle');
    await expectLight(loads, 'QR link, signed out');
  });

  it('the typed-code page, signed in: loads light and checks in', async () => {
    const { page } = await phone({ storageState: signedIn });
    const loads = recordScripts(page);
    await page.goto('/checkin');
    await page.getByTestId('checkin-code').fill(code);
    await page.getByTestId('checkin-submit').click();
    await expect.poll(() => page.getByTestId('checkin-success').getAttribute('data-status')).toBe('present');
    await page.waitForLoadState('networkidle');
    await expectLight(loads, '/checkin, signed in, through check-in');
  });

  it('the QR link, signed in: checks in at once and loads light', async () => {
    const { page, context } = await phone();
    await signIn(page, 'sam', 'sam-password-1');
    await page.getByTestId('user-menu').waitFor();
    const state = await context.storageState();

    const cold = await phone({ storageState: state });
    const loads = recordScripts(cold.page);
    await cold.page.goto(qrPath);
    await expect.poll(() => cold.page.getByTestId('checkin-success').getAttribute('data-status')).toBe('present');
    await cold.page.waitForLoadState('networkidle');
    await expectLight(loads, 'QR link, signed in, through check-in');
  });

  it('paints the loading shell from index.html alone, in light and in dark', async () => {
    for (const scheme of ['light', 'dark'] as const) {
      const { page } = await phone({ colorScheme: scheme });
      // No script at all: what a phone shows while its JavaScript is still on the way.
      await page.route('**/*.js', (route) => route.abort());
      await page.goto(`/c/${sessionId}`);
      const shell = page.locator('.rb-shell');
      await expect.poll(() => shell.isVisible()).toBe(true);
      expect(await shell.innerText()).toContain('Rollbook');
      const background = await shell.evaluate((el) => getComputedStyle(el).backgroundColor);
      expect(background, scheme).toBe(scheme === 'dark' ? 'rgb(26, 27, 30)' : 'rgb(248, 249, 250)');
    }
  });

  it('keeps the shell on screen while the page’s own code loads (no blank frame)', async () => {
    const pageChunk = manifest['src/app/routes/link-checkin.tsx'];
    expect(pageChunk, 'manifest entry for the QR link page').toBeDefined();
    const { page } = await phone();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let requested!: () => void;
    const requestedP = new Promise<void>((resolve) => (requested = resolve));
    // Hold the page's lazily loaded chunk: by then the main bundle has run and React owns #root.
    await page.route(`**/${pageChunk.file}`, async (route) => {
      requested();
      await held;
      await route.continue();
    });
    await page.goto(`/c/${sessionId}`, { waitUntil: 'commit' });
    await requestedP;
    // The shell on screen now must be React's (its element carries React's fiber), not index.html's
    // that React has not replaced yet: without a fallback the router would render nothing here.
    await expect
      .poll(() =>
        page.evaluate(() => {
          const el = document.querySelector('#root > .rb-shell');
          return el !== null && Object.keys(el).some((k) => k.startsWith('__reactFiber$')) && el.getBoundingClientRect().height > 0;
        }),
      )
      .toBe(true);
    release();
    await page.locator('[data-testid="link-checkin-page"][data-state="open"]').waitFor();
    expect(await page.locator('.rb-shell').count()).toBe(0);
  });
});
