import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it, onTestFailed } from 'vitest';
import {
  ADMIN,
  describeBrowser,
  launchBrowser,
  openDesktopPage,
  openPhonePage,
  signIn,
  startServer,
  type BrowserPage,
  type E2EServer,
} from './harness.js';

interface Person {
  id: string;
  username: string;
  password: string;
  name: string;
  studentNumber?: string;
}

describeBrowser('check-in: projector, phones and close', () => {
  let server: E2EServer;
  let browser: Browser;
  const opened: BrowserPage[] = [];

  let adminToken: string;
  let teacher: Person;
  let teacherToken: string;
  const students: Person[] = [];
  let courseId: string;
  let sessionId: string;

  let teacherPage: Page;
  let projector: Page;
  let adaPage: Page;

  async function call<T>(method: string, path: string, token: string | null, body?: unknown): Promise<T> {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path} → ${res.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  const login = async (username: string, password: string) =>
    (await call<{ accessToken: string }>('POST', '/api/auth/login', null, { username, password })).accessToken;

  async function createUser(role: 'teacher' | 'student', username: string, name: string, number: string): Promise<Person> {
    const password = `${username}-password-1`;
    const user = await call<{ id: string }>('POST', '/api/users', adminToken, {
      role,
      username,
      name,
      password,
      ...(role === 'student' ? { studentNumber: number } : { staffNumber: number }),
    });
    return { id: user.id, username, password, name, studentNumber: role === 'student' ? number : undefined };
  }

  /** Opens a page and prints what went wrong in the browser if the test fails. */
  async function open(kind: 'desktop' | 'phone'): Promise<BrowserPage> {
    const bp = kind === 'phone' ? await openPhonePage(browser, server.url) : await openDesktopPage(browser, server.url);
    opened.push(bp);
    onTestFailed(() => {
      for (const page of bp.context.pages()) console.error(`[${kind} page ${page.url()}]`);
      if (bp.problems.length > 0) console.error(bp.problems.join('\n'));
    });
    return bp;
  }

  const countOf = async (page: Page) => Number(await page.getByTestId('projector-count').getAttribute('data-count'));

  beforeAll(async () => {
    server = await startServer();
    browser = await launchBrowser();

    // Everything the lecture needs, set up through the API as an admin would.
    adminToken = await login(ADMIN.username, ADMIN.password);
    teacher = await createUser('teacher', 'tina', 'Tina Teacher', 'T-100');
    const names = ['Ada Lovelace', 'Blaise Pascal', 'Carl Gauss', 'Dora Dodd', 'Emmy Noether'];
    for (const [i, name] of names.entries()) {
      students.push(await createUser('student', name.split(' ')[0].toLowerCase(), name, `S50${i + 1}`));
    }
    const course = await call<{ id: string }>('POST', '/api/courses', adminToken, {
      code: 'BIO-101',
      name: 'Cell Biology',
      teacherIds: [teacher.id],
    });
    courseId = course.id;
    await call('POST', `/api/courses/${courseId}/enrollments`, adminToken, { studentIds: students.map((s) => s.id) });
    const startsAt = new Date(Date.now() - 60_000);
    const session = await call<{ id: string }>('POST', `/api/courses/${courseId}/sessions`, adminToken, {
      startsAt: startsAt.toISOString(),
      endsAt: new Date(startsAt.getTime() + 90 * 60_000).toISOString(),
      venue: 'Room 12',
    });
    sessionId = session.id;
    teacherToken = await login(teacher.username, teacher.password);
  });

  afterAll(async () => {
    for (const bp of opened) await bp.context.close().catch(() => {});
    await browser?.close();
    await server?.close();
  });

  it('the teacher opens the session and shows the projector view', async () => {
    const bp = await open('desktop');
    teacherPage = bp.page;
    await signIn(teacherPage, teacher.username, teacher.password);
    await teacherPage.getByTestId('teacher-home').waitFor();

    await teacherPage.goto(`/sessions/${sessionId}/live`);
    await teacherPage.getByTestId('open-panel').waitFor();
    await teacherPage.getByTestId('session-course').filter({ hasText: 'BIO-101 · Cell Biology' }).waitFor();
    expect(await teacherPage.getByTestId('session-header').textContent()).toContain('Lecture 1');
    // Link check-in (no account) is off by default: this class turns it on; the rest stays as it is.
    expect(await teacherPage.getByTestId('method-link').isChecked()).toBe(false);
    await teacherPage.getByTestId('method-link').check();
    await teacherPage.getByTestId('policy-submit').click();

    await teacherPage.locator('[data-testid="live-session-page"][data-state="open"]').waitFor();
    await expect.poll(async () => (await teacherPage.getByTestId('live-code').textContent())?.trim()).toMatch(/^[34679ACDEFGHJKMNPQRTUVWXY]{6}$/);
    await teacherPage.getByTestId('live-qr').waitFor();
    await teacherPage.getByTestId('checkin-list-empty').waitFor();
    expect(await teacherPage.getByTestId('summary-checked-in').textContent()).toBe('0');

    // The projector opens in its own tab (for the room's screen).
    const [popup] = await Promise.all([bp.context.waitForEvent('page'), teacherPage.getByTestId('open-projector').click()]);
    projector = popup;
    await projector.locator('[data-testid="projector"][data-state="open"]').waitFor();
    await projector.getByTestId('projector-qr').waitFor();
    const qr = await projector.getByTestId('projector-qr').boundingBox();
    expect(qr!.width).toBeGreaterThan(400); // large enough to scan from the back of a room
    await projector.getByTestId('projector-course').filter({ hasText: 'BIO-101 · Cell Biology' }).waitFor();
    await expect.poll(() => projector.getByTestId('projector-count').textContent()).toBe('0 / 5');
    expect(await projector.getByTestId('projector-address').textContent()).toMatch(/\/checkin$/);
    expect(await projector.getByTestId('projector-countdown').textContent()).toMatch(/New code in \d+:\d\d/);
    const { code } = await call<{ code: string }>('GET', `/api/sessions/${sessionId}/code`, teacherToken);
    expect(await projector.getByTestId('projector-code').textContent()).toBe(code);
    // Gone if the page ever reloads: what follows must arrive live.
    await projector.evaluate(() => Object.assign(window, { __sameProjectorPage: true }));
  });

  it('a student types the code on /checkin (a wrong code first, explained plainly)', async () => {
    const { page } = await open('phone');
    adaPage = page;
    const ada = students[0];
    await signIn(page, ada.username, ada.password);
    await page.getByTestId('student-home').waitFor();
    await page.getByTestId('nav-burger').click();
    await page.getByTestId('nav-check-in').click();
    await page.getByTestId('checkin-page').waitFor();

    const code = (await projector.getByTestId('projector-code').textContent())!;
    const wrong = code.startsWith('A') ? 'CCCCCC' : 'AAAAAA';
    await page.getByTestId('checkin-code').fill(wrong);
    await page.getByTestId('checkin-submit').click();
    const error = page.locator('[data-testid="checkin-error"][data-code="invalid_code"]');
    await error.waitFor();
    expect(await error.textContent()).toContain('Wrong or expired code');

    // Typed the way people type: lower case, with a space in the middle.
    await page.getByTestId('checkin-code').fill(`${code.slice(0, 3).toLowerCase()} ${code.slice(3).toLowerCase()}`);
    expect(await page.getByTestId('checkin-code').inputValue()).toBe(code);
    await page.getByTestId('checkin-submit').click();
    const success = page.getByTestId('checkin-success');
    await success.waitFor();
    expect(await success.getAttribute('data-status')).toBe('present');
    expect(await success.textContent()).toContain('You are checked in');
    expect(await page.getByTestId('checkin-course').textContent()).toBe('BIO-101 · Cell Biology');

    // The same code again: already checked in, not an error.
    await page.getByTestId('checkin-again').click();
    await page.getByTestId('checkin-code').fill(code);
    await page.getByTestId('checkin-submit').click();
    await page.locator('[data-testid="checkin-success"][data-already="true"]').waitFor();

    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
  });

  it('a student opens the QR link, signs in, and is checked in at once', async () => {
    const { page } = await open('phone');
    const blaise = students[1];
    const { url } = await call<{ url: string }>('GET', `/api/sessions/${sessionId}/code`, teacherToken);
    const link = new URL(url);
    expect(link.pathname).toBe(`/c/${sessionId}`);
    const token = link.searchParams.get('t')!;

    // The camera opens the link in a browser that is not signed in yet.
    await page.goto(`/c/${sessionId}?t=${encodeURIComponent(token)}`);
    await page.getByTestId('link-checkin-form').waitFor();
    await page.getByTestId('link-sign-in').click();
    await page.getByTestId('login-form').waitFor();
    await signIn(page, blaise.username, blaise.password);

    // Back on the link, signed in: the token is submitted without another tap.
    const success = page.getByTestId('checkin-success');
    await success.waitFor();
    expect(new URL(page.url()).pathname).toBe(`/c/${sessionId}`);
    expect(await success.textContent()).toContain('You are checked in');
    expect(await page.getByTestId('link-course').textContent()).toBe('BIO-101 · Cell Biology');
  });

  it('a student without an account checks in through the link with number and name', async () => {
    const { page } = await open('phone');
    const carl = students[2];
    const { url } = await call<{ url: string }>('GET', `/api/sessions/${sessionId}/code`, teacherToken);
    await page.goto(new URL(url).pathname + new URL(url).search);
    await page.getByTestId('link-checkin-form').waitFor();
    await page.getByTestId('link-student-number').fill(carl.studentNumber!);
    await page.getByTestId('link-name').fill(carl.name);
    await page.getByTestId('link-submit').click();
    const success = page.getByTestId('checkin-success');
    await success.waitFor();
    expect(await success.getAttribute('data-status')).toBe('present');
    expect(await success.textContent()).toContain('Lecture 1');
  });

  it('the projector counts 3 / 5 and streams the names, live', async () => {
    // No reload: the count and the names arrive over the WebSocket.
    await expect.poll(() => countOf(projector), { timeout: 10_000 }).toBe(3);
    expect(await projector.getByTestId('projector-count').textContent()).toBe('3 / 5');
    expect(await projector.evaluate(() => '__sameProjectorPage' in window)).toBe(true);
    const names = await projector.getByTestId('ticker-name').allTextContents();
    for (const s of students.slice(0, 3)) expect(names.join('\n')).toContain(s.name);

    // The teacher's list got them too, each with how they checked in.
    for (const s of students.slice(0, 3)) await teacherPage.getByTestId(`record-${s.id}`).waitFor();
    expect(await teacherPage.getByTestId(`record-${students[0].id}`).textContent()).toContain('Typed code');
    expect(await teacherPage.getByTestId(`record-${students[1].id}`).textContent()).toContain('QR scan');
    expect(await teacherPage.getByTestId(`record-${students[2].id}`).textContent()).toContain('Link (no account)');
    await expect.poll(async () => teacherPage.getByTestId('summary-checked-in').textContent()).toBe('3');
  });

  it('the teacher closes check-in and the two others are absent', async () => {
    await teacherPage.bringToFront();
    await teacherPage.getByTestId('close-session').click();
    const dialog = teacherPage.getByRole('dialog', { name: 'Close check-in?' });
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain('2 enrolled students who have not checked in will be marked absent');
    await dialog.getByTestId('confirm-close').click();
    await dialog.waitFor({ state: 'hidden' });

    await teacherPage.locator('[data-testid="live-session-page"][data-state="closed"]').waitFor();
    const notice = teacherPage.getByTestId('closed-notice');
    await notice.waitFor();
    expect(await notice.textContent()).toContain('3 present, 0 late, 2 absent');
    await expect.poll(async () => teacherPage.getByTestId('summary-absent').getAttribute('data-count')).toBe('2');
    for (const s of students.slice(3)) {
      const row = teacherPage.getByTestId(`record-${s.id}`);
      await row.waitFor();
      expect(await row.locator('[data-testid="record-status"]').getAttribute('data-status')).toBe('absent');
    }

    // The projector learns it live and shows the final summary.
    await projector.locator('[data-testid="projector"][data-state="closed"]').waitFor();
    expect(await projector.getByTestId('projector-status').textContent()).toBe('This session is closed');
    await expect.poll(async () => projector.getByTestId('final-absent').getAttribute('data-count')).toBe('2');
    expect(await projector.getByTestId('final-present').getAttribute('data-count')).toBe('3');

    // Each student's own session list shows their record: Ada present, Dora absent.
    await adaPage.goto('/');
    const adaCard = adaPage.locator(`[data-testid="my-session"][data-session-id="${sessionId}"]`);
    await adaCard.waitFor();
    expect(await adaCard.locator('[data-testid="record-status"]').getAttribute('data-status')).toBe('present');
    const dora = await open('phone');
    await signIn(dora.page, students[3].username, students[3].password);
    const doraCard = dora.page.locator(`[data-testid="my-session"][data-session-id="${sessionId}"]`);
    await doraCard.waitFor();
    expect(await doraCard.locator('[data-testid="record-status"]').getAttribute('data-status')).toBe('absent');

    // The QR link now says the session is closed.
    const { page } = await open('phone');
    await page.goto(`/c/${sessionId}?t=expired`);
    await page.locator('[data-testid="link-not-open"]').waitFor();
    expect(await page.getByTestId('link-not-open').textContent()).toContain('This session is closed');
  });
});
