import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ADMIN, describeBrowser, launchBrowser, openDesktopPage, openPhonePage, signIn, startServer, type BrowserPage, type E2EServer } from './harness.js';
import { createUser, restAs, restAsAdmin, type Rest } from './rest.js';

/**
 * Every main page of every role, checked in a real browser with axe-core (the same engine as the
 * browsers' accessibility tools): no `serious` or `critical` violation (colour contrast, names of
 * buttons and fields, ARIA misuse…), and a clean console (no error, no warning: React Router's
 * missing HydrateFallback, a signed-out visitor's 401s, React key warnings all count). Every page
 * is opened with a full load, as a visitor would, so first-load warnings show. Also in the dark
 * colour scheme for a sample of pages: the theme makes both readable.
 */

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const AXE_SOURCE = readFileSync(path.join(root, 'node_modules/axe-core/axe.min.js'), 'utf8');

interface AxeNode {
  target: unknown[];
  failureSummary?: string;
  html: string;
}
interface AxeViolation {
  id: string;
  impact: 'minor' | 'moderate' | 'serious' | 'critical' | null;
  help: string;
  nodes: AxeNode[];
}

interface PageCheck {
  /** What to open. */
  path: string;
  /** A test id on the page once it has loaded (else: network idle and no spinner). */
  ready?: string;
  /** Something to do before checking (open a tab, a dialog…). */
  then?: (page: Page) => Promise<void>;
}

const MANTINE_SCHEME_KEY = 'mantine-color-scheme-value';

describeBrowser('accessibility: axe-core on every main page, and a clean console', () => {
  let server: E2EServer;
  let browser: Browser;
  const opened: BrowserPage[] = [];

  let admin: Rest;
  let teacher: Rest;
  const teacherLogin = { username: 'tess', password: 'tess-password-1' };
  const studentLogin = { username: 'sam', password: 'sam-password-1' };
  let courseId: string;
  let openId: string;
  let closedId: string;
  let qrPath: string;

  beforeAll(async () => {
    server = await startServer({ SIGNUP: 'students' });
    browser = await launchBrowser();
    admin = await restAsAdmin(server);

    const department = await admin.call<{ id: string }>('POST', '/api/departments', { code: 'SCI', name: 'Sciences' });
    const section = await admin.call<{ id: string }>('POST', '/api/sections', { name: 'SCI-1A', cohort: '2026', departmentId: department.id });
    const t = await createUser(admin, { role: 'teacher', name: 'Tess Teacher', staffNumber: 'T-9', ...teacherLogin });
    const sam = await createUser(admin, { role: 'student', name: 'Sam Student', studentNumber: 'S-100', sectionId: section.id, ...studentLogin });
    const sue = await createUser(admin, { role: 'student', username: 'sue', password: 'sue-password-1', name: 'Sue Second', studentNumber: 'S-101', sectionId: section.id });
    const ted = await createUser(admin, { role: 'student', username: 'ted', password: 'ted-password-1', name: 'Ted Third', studentNumber: 'S-102' });
    teacher = await restAs(server, teacherLogin.username, teacherLogin.password);
    const student = await restAs(server, studentLogin.username, studentLogin.password);

    const course = await admin.call<{ id: string }>('POST', '/api/courses', {
      code: 'CHEM-101',
      name: 'General Chemistry',
      teacherIds: [t.id],
      departmentId: department.id,
    });
    courseId = course.id;
    await admin.call('POST', `/api/courses/${courseId}/enrollments`, { studentIds: [sam.id, sue.id, ted.id] });

    const at = (hoursFromNow: number, minutes = 90) => {
      const start = new Date(Date.now() + hoursFromNow * 3600_000);
      return { startsAt: start.toISOString(), endsAt: new Date(start.getTime() + minutes * 60_000).toISOString() };
    };
    // A held session with every status, so reports, the grid and the student's history have colours to show.
    const held = await teacher.call<{ id: string }>('POST', `/api/courses/${courseId}/sessions`, { ...at(-48), venue: 'Lab 2' });
    closedId = held.id;
    await teacher.call('POST', `/api/sessions/${closedId}/open`, {});
    await teacher.call('PUT', `/api/sessions/${closedId}/records/${sam.id}`, { status: 'present' });
    await teacher.call('PUT', `/api/sessions/${closedId}/records/${sue.id}`, { status: 'late' });
    await teacher.call('POST', `/api/sessions/${closedId}/close`, {});

    // The session running now, with the QR link on.
    const now = await teacher.call<{ id: string }>('POST', `/api/courses/${courseId}/sessions`, { ...at(-0.25), venue: 'Room 101' });
    openId = now.id;
    await teacher.call('POST', `/api/sessions/${openId}/open`, { methods: ['code', 'qr', 'link', 'rollcall', 'device'] });
    await teacher.call('PUT', `/api/sessions/${openId}/records/${sue.id}`, { status: 'late' });
    const { url } = await teacher.call<{ url: string }>('GET', `/api/sessions/${openId}/code`);
    qrPath = new URL(url).pathname + new URL(url).search;

    // Coming up: one scheduled, one cancelled (a notification for the students), one the student asks to miss.
    const later = await teacher.call<{ id: string }>('POST', `/api/courses/${courseId}/sessions`, { ...at(72), venue: 'Room 101' });
    const cancelled = await teacher.call<{ id: string }>('POST', `/api/courses/${courseId}/sessions`, at(96));
    await teacher.call('POST', `/api/sessions/${cancelled.id}/cancel`, { reason: 'Teacher at a conference' });
    await student.call('POST', '/api/absences', { courseId, sessionIds: [later.id], reason: 'Dentist appointment', category: 'illness' });

    await admin.call('POST', '/api/devices', { name: 'Door reader', location: 'Room 101' });
    await admin.call('POST', '/api/webhooks', { url: 'http://127.0.0.1:9/hook', events: ['*'], description: 'Student information system' });
  });

  afterAll(async () => {
    for (const bp of opened) await bp.context.close().catch(() => {});
    await browser?.close();
    await server?.close();
  });

  /** A browser context (signed in as `login`, if given), in the light or dark colour scheme. */
  async function visitor(options: { login?: { username: string; password: string }; phone?: boolean; dark?: boolean } = {}): Promise<BrowserPage> {
    const bp = options.phone ? await openPhonePage(browser, server.url) : await openDesktopPage(browser, server.url);
    opened.push(bp);
    // axe-core into every page of the context as it starts. Not page.addScriptTag: that is an inline
    // script, which the app's Content-Security-Policy (script-src 'self') rightly refuses, and the
    // policy stays on so that anything it blocks in the app shows in the console.
    await bp.context.addInitScript({ content: AXE_SOURCE });
    if (options.dark) {
      // What Mantine's colour-scheme manager reads at start.
      await bp.context.addInitScript((key) => window.localStorage.setItem(key, 'dark'), MANTINE_SCHEME_KEY);
    }
    if (options.login) {
      await signIn(bp.page, options.login.username, options.login.password);
      await bp.page.getByTestId('user-menu').waitFor();
    }
    return bp;
  }

  /** Opens each page with a full load and returns what is wrong with it, page by page ([] when all pass). */
  async function audit(bp: BrowserPage, checks: PageCheck[]): Promise<string[]> {
    const { page } = bp;
    const problems: string[] = [];
    let consoleLines: string[] = [];
    page.on('console', (msg) => {
      if (msg.type() === 'error' || msg.type() === 'warning') consoleLines.push(`console.${msg.type()}: ${msg.text()}`);
    });
    page.on('pageerror', (err) => consoleLines.push(`uncaught: ${err.message}`));

    for (const check of checks) {
      consoleLines = [];
      await page.goto(check.path);
      if (check.ready) await page.getByTestId(check.ready).first().waitFor();
      await settle(page);
      if (check.then) {
        await check.then(page);
        await settle(page);
      }
      const violations = await page.evaluate(async () => {
        const axe = (window as unknown as { axe: { run: (ctx: Document, opts: object) => Promise<{ violations: unknown[] }> } }).axe;
        return (await axe.run(document, { resultTypes: ['violations'] })).violations;
      });
      const label = `${check.path}${check.then ? ' (+ action)' : ''}`;
      for (const v of violations as AxeViolation[]) {
        if (v.impact !== 'serious' && v.impact !== 'critical') continue;
        const nodes = v.nodes
          .slice(0, 4)
          .map((n) => `      ${JSON.stringify(n.target)} ${n.failureSummary?.split('\n').slice(1).join(' ').trim() ?? ''}`)
          .join('\n');
        problems.push(`${label}: ${v.impact} ${v.id} (${v.help}), ${v.nodes.length} element(s)\n${nodes}`);
      }
      for (const line of consoleLines) problems.push(`${label}: ${line}`);
    }
    return problems;
  }

  /** The page has stopped loading: network quiet, no spinner or loading shell left. */
  async function settle(page: Page): Promise<void> {
    await page.waitForLoadState('networkidle');
    await page.waitForFunction(() => !document.querySelector('.rb-shell, .mantine-Loader-root'), undefined, { timeout: 10_000 });
    // Transitions (Mantine's fade-ins) end before colours are measured.
    await page.waitForTimeout(300);
  }

  it('signed out: sign-in, sign-up, setup, forgot password, choose password, link check-in (desktop and phone)', async () => {
    const pages: PageCheck[] = [
      { path: '/login', ready: 'login-form' },
      { path: '/signup', ready: 'signup-form' },
      { path: '/setup' },
      { path: '/forgot-password', ready: 'forgot-form' },
      { path: '/choose-password?token=not-a-real-token' },
      { path: qrPath, ready: 'link-checkin-form' },
      { path: '/no-such-page' },
    ];
    expect(await audit(await visitor(), pages)).toEqual([]);
    expect(await audit(await visitor({ phone: true }), [{ path: qrPath, ready: 'link-checkin-form' }, { path: '/login', ready: 'login-form' }])).toEqual([]);
  });

  it('student: home, check-in, attendance, absences, calendar, profile, notifications (desktop and phone)', async () => {
    const pages: PageCheck[] = [
      { path: '/' },
      { path: '/checkin', ready: 'checkin-page' },
      { path: '/attendance', ready: 'my-attendance' },
      { path: '/absences' },
      { path: `/absences/new?courseId=${courseId}`, ready: 'absence-form' },
      { path: '/calendar', ready: 'calendar-page' },
      { path: '/profile', ready: 'profile-page' },
      { path: '/notifications', ready: 'notifications-page' },
    ];
    expect(await audit(await visitor({ login: studentLogin }), pages)).toEqual([]);
    const phone = await visitor({ login: studentLogin, phone: true });
    expect(await audit(phone, [{ path: '/' }, { path: '/checkin', ready: 'checkin-page' }, { path: '/attendance', ready: 'my-attendance' }])).toEqual([]);
  });

  it('teacher: home, courses, each course tab, live session, roll call, projector, absences review, calendar', async () => {
    const pages: PageCheck[] = [
      { path: '/' },
      { path: '/courses', ready: 'courses-page' },
      { path: `/courses/${courseId}`, ready: 'course-page' },
      { path: `/courses/${courseId}?tab=students`, ready: 'course-page' },
      { path: `/courses/${courseId}?tab=report`, ready: 'course-page' },
      { path: `/sessions/${openId}/live`, ready: 'live-session-page' },
      { path: `/sessions/${openId}/roll-call`, ready: 'roll-call-page' },
      { path: `/sessions/${closedId}/roll-call`, ready: 'roll-call-page' },
      { path: `/sessions/${openId}/projector`, ready: 'projector' },
      { path: `/sessions/${closedId}/projector`, ready: 'projector' },
      { path: '/absences', ready: 'review-queue' },
      { path: '/calendar', ready: 'calendar-page' },
      { path: '/notifications', ready: 'notifications-page' },
    ];
    expect(await audit(await visitor({ login: teacherLogin }), pages)).toEqual([]);
  });

  it('admin: home, users, departments, sections, courses, devices, integrations, reports overview, absences', async () => {
    const pages: PageCheck[] = [
      { path: '/' },
      { path: '/admin/users', ready: 'users-page' },
      { path: '/admin/departments', ready: 'departments-page' },
      { path: '/admin/sections', ready: 'sections-page' },
      { path: '/courses', ready: 'courses-page' },
      { path: '/admin/devices', ready: 'devices-page' },
      { path: '/admin/integrations', ready: 'integrations-page' },
      { path: '/admin/reports', ready: 'reports-overview' },
      { path: '/absences' },
    ];
    expect(await audit(await visitor({ login: ADMIN }), pages)).toEqual([]);
  });

  it('dark colour scheme: a sample of every role’s pages', async () => {
    expect(await audit(await visitor({ dark: true }), [{ path: '/login', ready: 'login-form' }, { path: qrPath, ready: 'link-checkin-form' }])).toEqual([]);
    const student = await visitor({ login: studentLogin, dark: true });
    expect(await audit(student, [{ path: '/' }, { path: '/attendance', ready: 'my-attendance' }, { path: '/absences' }])).toEqual([]);
    const staff = await visitor({ login: teacherLogin, dark: true });
    expect(
      await audit(staff, [
        { path: `/courses/${courseId}?tab=report`, ready: 'course-page' },
        { path: `/sessions/${openId}/live`, ready: 'live-session-page' },
        { path: `/sessions/${openId}/roll-call`, ready: 'roll-call-page' },
      ]),
    ).toEqual([]);
  });

  it('a signed-in page whose access cookie has expired renews it first: no refused request in the console', async () => {
    const bp = await visitor({ login: studentLogin });
    // What the browser does when the access cookie's Max-Age runs out: both it and its readable twin go.
    const keep = (await bp.context.cookies()).filter((c) => c.name !== 'rb_access' && c.name !== 'rb_access_live');
    await bp.context.clearCookies();
    await bp.context.addCookies(keep);
    expect(await audit(bp, [{ path: '/attendance', ready: 'my-attendance' }])).toEqual([]);
    expect((await bp.context.cookies()).map((c) => c.name)).toEqual(expect.arrayContaining(['rb_access', 'rb_access_live', 'rb_signed_in']));
  });
});
