import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it, onTestFailed } from 'vitest';
import { ADMIN, describeBrowser, launchBrowser, openDesktopPage, openPhonePage, signIn, startServer, type BrowserPage, type E2EServer } from './harness.js';
import { createUser, restAs, restAsAdmin, type CreatedUser, type Rest } from './rest.js';

/**
 * One live store per session (issue 13): the teacher's live page and projector, and an admin's roll
 * call, each in its own browser, follow enrollments, deletions and a reopened session's late
 * check-ins without a reload.
 */
describeBrowser('one live store: live page, projector and roll call follow every change', () => {
  let server: E2EServer;
  let browser: Browser;
  const opened: BrowserPage[] = [];
  let admin: Rest;
  let teacher: Rest;
  const students = {} as Record<'ana' | 'ben' | 'cleo', CreatedUser & { password: string }>;
  let courseId: string;
  let sessionId: string;

  let livePage: Page;
  let projector: Page;
  let rollCall: Page;

  const NO_RELOAD = '__sameLivePage';
  const markNoReload = (page: Page) => page.evaluate((k) => Object.assign(window, { [k]: true }), NO_RELOAD);
  const stillNoReload = (page: Page) => page.evaluate((k) => k in window, NO_RELOAD);

  async function open(kind: 'desktop' | 'phone', label: string): Promise<BrowserPage> {
    const bp = kind === 'phone' ? await openPhonePage(browser, server.url) : await openDesktopPage(browser, server.url);
    opened.push(bp);
    onTestFailed(() => {
      for (const page of bp.context.pages()) console.error(`[${label} ${page.url()}]`);
      if (bp.problems.length > 0) console.error(bp.problems.join('\n'));
    });
    return bp;
  }

  /** A student checks in on their phone with the code the session shows now. */
  async function checkInOnPhone(who: keyof typeof students): Promise<void> {
    const { page } = await open('phone', `${who}'s phone`);
    await signIn(page, students[who].username, students[who].password);
    await page.getByTestId('student-home').waitFor();
    const { code } = await teacher.call<{ code: string }>('GET', `/api/sessions/${sessionId}/code`);
    await page.goto('/checkin');
    await page.getByTestId('checkin-code').fill(code);
    await page.getByTestId('checkin-submit').click();
    await page.getByTestId('checkin-success').waitFor();
  }

  const projectorCount = (page: Page) => page.getByTestId('projector-count').textContent();
  const tickerNames = async (page: Page) => (await page.getByTestId('ticker-name').allTextContents()).join('\n');
  const rollCallRow = (page: Page, studentId: string) => page.locator(`[data-testid="roll-call-row"][data-student-id="${studentId}"]`);
  /** A choice of the check-in list's filter (a segmented control: its labels are what a person clicks). */
  const listFilter = (page: Page, label: 'All' | 'Not yet') => page.locator('label').filter({ hasText: new RegExp(`^${label} \\(\\d+\\)$`) });

  beforeAll(async () => {
    server = await startServer();
    browser = await launchBrowser();
    admin = await restAsAdmin(server);
    await createUser(admin, { role: 'teacher', username: 'store-teacher', name: 'Tomas Teacher', password: 'store-teacher-pass-1' });
    teacher = await restAs(server, 'store-teacher', 'store-teacher-pass-1');
    for (const [key, name, number] of [
      ['ana', 'Ana Arendt', 'LS-01'],
      ['ben', 'Ben Bohr', 'LS-02'],
      ['cleo', 'Cleo Curie', 'LS-03'],
    ] as const) {
      const password = `${key}-student-pass-1`;
      students[key] = { ...(await createUser(admin, { role: 'student', username: key, name, studentNumber: number, password })), password };
    }
    // Late from the first minute after the start (or the opening, if later): every check-in here is late.
    courseId = (await teacher.call<{ id: string }>('POST', '/api/courses', { code: 'LIVE202', name: 'Live Stores', lateAfterMinutes: 0 })).id;
    // Cleo is not enrolled yet: she joins while the session is open.
    await teacher.call('POST', `/api/courses/${courseId}/enrollments`, { studentIds: [students.ana.id, students.ben.id] });
    const start = new Date(Date.now() - 30 * 60_000);
    sessionId = (
      await teacher.call<{ id: string }>('POST', `/api/courses/${courseId}/sessions`, {
        startsAt: start.toISOString(),
        endsAt: new Date(start.getTime() + 90 * 60_000).toISOString(),
        venue: 'Room 9',
      })
    ).id;
  });

  afterAll(async () => {
    for (const bp of opened) await bp.context.close().catch(() => {});
    await browser?.close();
    await server?.close();
  });

  it('a student enrolled while the session is open appears on the projector, the live page and the roll call, then checks in', async () => {
    // The teacher opens check-in and the projector (one browser); an admin follows the roll call (another).
    const desk = await open('desktop', 'teacher');
    livePage = desk.page;
    await signIn(livePage, 'store-teacher', 'store-teacher-pass-1');
    await livePage.getByTestId('teacher-home').waitFor();
    await livePage.goto(`/sessions/${sessionId}/live`);
    await livePage.getByTestId('policy-submit').click();
    await livePage.locator('[data-testid="live-session-page"][data-state="open"]').waitFor();
    const [popup] = await Promise.all([desk.context.waitForEvent('page'), livePage.getByTestId('open-projector').click()]);
    projector = popup;
    await projector.locator('[data-testid="projector"][data-state="open"]').waitFor();
    await expect.poll(() => projectorCount(projector)).toBe('0 / 2');

    const adminDesk = await open('desktop', 'admin');
    rollCall = adminDesk.page;
    await signIn(rollCall, ADMIN.username, ADMIN.password);
    await rollCall.getByTestId('user-menu').waitFor();
    await rollCall.goto(`/sessions/${sessionId}/roll-call`);
    await rollCallRow(rollCall, students.ana.id).waitFor();
    expect(await rollCall.getByTestId('roll-call-row').count()).toBe(2);

    await livePage.bringToFront();
    await listFilter(livePage, 'Not yet').click();
    await livePage.getByTestId(`not-yet-${students.ben.id}`).waitFor();
    expect(await livePage.getByTestId(`not-yet-${students.cleo.id}`).count()).toBe(0);
    for (const page of [livePage, projector, rollCall]) await markNoReload(page);

    // The teacher enrolls Cleo (through the API, as the course page does).
    await teacher.call('POST', `/api/courses/${courseId}/enrollments`, { studentIds: [students.cleo.id] });
    await expect.poll(() => projectorCount(projector), { timeout: 5_000 }).toBe('0 / 3');
    await livePage.getByTestId(`not-yet-${students.cleo.id}`).waitFor({ timeout: 5_000 });
    await expect.poll(() => livePage.getByTestId('summary-enrolled').textContent(), { timeout: 5_000 }).toBe('3');
    await rollCallRow(rollCall, students.cleo.id).waitFor({ timeout: 5_000 });
    expect(await rollCallRow(rollCall, students.cleo.id).getAttribute('data-status')).toBe('unmarked');

    // Cleo checks in on her phone: every page shows her.
    await checkInOnPhone('cleo');
    await expect.poll(() => projectorCount(projector), { timeout: 5_000 }).toBe('1 / 3');
    await expect.poll(() => tickerNames(projector), { timeout: 5_000 }).toContain('Cleo Curie');
    await livePage.getByTestId(`not-yet-${students.cleo.id}`).waitFor({ state: 'detached', timeout: 5_000 });
    await listFilter(livePage, 'All').click();
    await livePage.getByTestId(`record-${students.cleo.id}`).waitFor({ timeout: 5_000 });
    await expect.poll(() => rollCallRow(rollCall, students.cleo.id).getAttribute('data-status'), { timeout: 5_000 }).toBe('late');
    for (const page of [livePage, projector, rollCall]) expect(await stillNoReload(page)).toBe(true);
  });

  it("an admin deletes a record in the roll call: it leaves the teacher's live page and the projector", async () => {
    await rollCall.bringToFront();
    await rollCallRow(rollCall, students.cleo.id).getByTestId('edit-record').click();
    const dialog = rollCall.getByTestId('record-dialog');
    await dialog.getByTestId('record-delete').click();
    await rollCall.getByTestId('confirm-delete-record').click();
    await dialog.waitFor({ state: 'hidden' });
    await expect.poll(() => rollCallRow(rollCall, students.cleo.id).getAttribute('data-status'), { timeout: 5_000 }).toBe('unmarked');

    await livePage.getByTestId(`record-${students.cleo.id}`).waitFor({ state: 'detached', timeout: 5_000 });
    await expect.poll(() => livePage.getByTestId('summary-checked-in').textContent(), { timeout: 5_000 }).toBe('0');
    await expect.poll(() => projectorCount(projector), { timeout: 5_000 }).toBe('0 / 3');
    await expect.poll(() => tickerNames(projector), { timeout: 5_000 }).not.toContain('Cleo Curie');
    // She is back among those without a record.
    await listFilter(livePage, 'Not yet').click();
    await livePage.getByTestId(`not-yet-${students.cleo.id}`).waitFor({ timeout: 5_000 });
    for (const page of [livePage, projector, rollCall]) expect(await stillNoReload(page)).toBe(true);
  });

  it("closed, then reopened: a late student's check-in replaces their automatic absence on the live page", async () => {
    await livePage.bringToFront();
    await listFilter(livePage, 'All').click();
    await livePage.getByTestId('close-session').click();
    await livePage.getByTestId('confirm-close').click();
    await livePage.locator('[data-testid="live-session-page"][data-state="closed"]').waitFor();
    const benRow = livePage.getByTestId(`record-${students.ben.id}`);
    await benRow.waitFor();
    expect(await benRow.getByTestId('record-status').getAttribute('data-status')).toBe('absent');
    expect(await benRow.textContent()).toContain('Not checked in');
    await projector.locator('[data-testid="projector"][data-state="closed"]').waitFor({ timeout: 5_000 });

    // Closing raised at-risk warnings, whose toasts may sit over the header's buttons: use the keyboard.
    await livePage.getByTestId('reopen-session').focus();
    await livePage.keyboard.press('Enter');
    await livePage.locator('[data-testid="live-session-page"][data-state="open"]').waitFor();
    await projector.locator('[data-testid="projector"][data-state="open"]').waitFor({ timeout: 5_000 });

    // Ben arrives late and checks in on his phone; the teacher's page turns his absence into late.
    await checkInOnPhone('ben');
    await expect.poll(() => benRow.getByTestId('record-status').getAttribute('data-status'), { timeout: 5_000 }).toBe('late');
    expect(await benRow.textContent()).not.toContain('Not checked in');
    await expect.poll(() => livePage.getByTestId('summary-late').getAttribute('data-count'), { timeout: 5_000 }).toBe('1');
    await expect.poll(() => projectorCount(projector), { timeout: 5_000 }).toBe('1 / 3');
    await expect.poll(() => rollCallRow(rollCall, students.ben.id).getAttribute('data-status'), { timeout: 5_000 }).toBe('late');
    for (const page of [livePage, projector, rollCall]) expect(await stillNoReload(page)).toBe(true);
  });
});
