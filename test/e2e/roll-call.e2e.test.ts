import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { describeBrowser, launchBrowser, openDesktopPage, openPhonePage, signIn, startServer, type BrowserPage, type E2EServer } from './harness.js';
import { createUser, restAs, restAsAdmin, type Rest } from './rest.js';

interface Summary {
  enrolled: number;
  present: number;
  late: number;
  absent: number;
  excused: number;
  pending: number;
  unmarked: number;
}

interface RecordItem {
  studentId: string;
  status: string;
  method: string;
  updatedBy: string | null;
  version: number;
}

const SUMMARY_KEYS = ['enrolled', 'present', 'late', 'absent', 'excused', 'pending', 'unmarked'] as const;

// The roster comes by name: this is its order on the page.
const STUDENTS = ['Ada Lovelace', 'Blaise Pascal', 'Carl Gauss', 'Dora Dodd', 'Emmy Noether', 'Fritz Haber'];

describeBrowser('roll call: two teachers at once, by keyboard, live; devices', () => {
  let server: E2EServer;
  let browser: Browser;
  const opened: (BrowserPage & { label: string })[] = [];

  let admin: Rest;
  let teacherA: { id: string; username: string; password: string };
  let teacherB: { id: string; username: string; password: string };
  let restA: Rest;
  const students: { id: string; name: string; number: string }[] = [];
  let courseId: string;
  let sessionId: string;
  let scheduledId: string;

  let pageA: Page;
  let pageB: Page;

  async function open(kind: 'desktop' | 'phone', label: string): Promise<BrowserPage> {
    const bp = kind === 'phone' ? await openPhonePage(browser, server.url) : await openDesktopPage(browser, server.url);
    opened.push({ ...bp, label });
    return bp;
  }

  // The pages live across tests: when one fails, say what every browser saw.
  afterEach((ctx) => {
    if (ctx.task.result?.state !== 'fail') return;
    for (const bp of opened) {
      console.error(`[${bp.label}] ${bp.context.pages().map((p) => p.url()).join(' ')}`);
      if (bp.problems.length > 0) console.error(bp.problems.join('\n'));
    }
  });

  const row = (page: Page, name: string) => page.locator('[data-testid="roll-call-row"]', { has: page.getByTestId('roll-call-name').getByText(name, { exact: true }) });
  const statusOn = (page: Page, name: string) => row(page, name).getAttribute('data-status');
  const activeName = async (page: Page) => (await page.locator('[data-testid="roll-call-row"][data-active="true"]').getByTestId('roll-call-name').textContent())?.trim();
  const summaryOn = async (page: Page) => {
    const out: Record<string, number> = {};
    for (const key of SUMMARY_KEYS) out[key] = Number(await page.getByTestId(`rc-summary-${key}`).getAttribute('data-count'));
    return out;
  };

  async function openRollCall(page: Page, username: string, password: string, id = sessionId) {
    await signIn(page, username, password);
    await page.getByTestId('user-menu').waitFor();
    await page.goto(`/sessions/${id}/roll-call`);
  }

  beforeAll(async () => {
    server = await startServer();
    browser = await launchBrowser();
    admin = await restAsAdmin(server);

    const a = await createUser(admin, { role: 'teacher', username: 'tara', name: 'Tara Teacher', password: 'tara-password-1', staffNumber: 'T-1' });
    const b = await createUser(admin, { role: 'teacher', username: 'theo', name: 'Theo Assistant', password: 'theo-password-1', staffNumber: 'T-2' });
    teacherA = { id: a.id, username: 'tara', password: 'tara-password-1' };
    teacherB = { id: b.id, username: 'theo', password: 'theo-password-1' };
    for (const [i, name] of STUDENTS.entries()) {
      const number = `S70${i + 1}`;
      const username = name.split(' ')[0].toLowerCase();
      const user = await createUser(admin, { role: 'student', username, name, password: `${username}-password-1`, studentNumber: number });
      students.push({ id: user.id, name, number });
    }
    const course = await admin.call<{ id: string }>('POST', '/api/courses', { code: 'HIS-210', name: 'History of Science', teacherIds: [a.id, b.id] });
    courseId = course.id;
    await admin.call('POST', `/api/courses/${course.id}/enrollments`, { studentIds: students.map((s) => s.id) });

    const startsAt = new Date(Date.now() - 60_000);
    const session = await admin.call<{ id: string }>('POST', `/api/courses/${course.id}/sessions`, {
      startsAt: startsAt.toISOString(),
      endsAt: new Date(startsAt.getTime() + 90 * 60_000).toISOString(),
      venue: 'Room 4',
    });
    sessionId = session.id;
    restA = await restAs(server, teacherA.username, teacherA.password);
    await restA.call('POST', `/api/sessions/${sessionId}/open`, {});

    const later = new Date(Date.now() + 7 * 24 * 3600_000);
    const scheduled = await admin.call<{ id: string }>('POST', `/api/courses/${course.id}/sessions`, {
      startsAt: later.toISOString(),
      endsAt: new Date(later.getTime() + 90 * 60_000).toISOString(),
    });
    scheduledId = scheduled.id;
  });

  afterAll(async () => {
    for (const bp of opened) await bp.context.close().catch(() => {});
    await browser?.close();
    await server?.close();
  });

  it('both teachers open the roll call of the open session: the roster, unmarked, live', async () => {
    pageA = (await open('desktop', 'teacher A')).page;
    pageB = (await open('desktop', 'teacher B')).page;
    // Teacher A finds it where sessions are listed: the course's sessions; teacher B has the link.
    const viaCourse = async () => {
      await signIn(pageA, teacherA.username, teacherA.password);
      await pageA.getByTestId('user-menu').waitFor();
      await pageA.goto(`/courses/${courseId}`);
      await pageA.getByTestId('session-row-1').getByTestId('session-roll-call-link').click();
      await pageA.waitForURL(`**/sessions/${sessionId}/roll-call`);
    };
    await Promise.all([viaCourse(), openRollCall(pageB, teacherB.username, teacherB.password)]);

    for (const page of [pageA, pageB]) {
      await page.locator('[data-testid="roll-call-page"][data-state="open"]').waitFor();
      await page.locator('[data-testid="roll-call-live"][data-status="live"]').waitFor();
      expect(await page.getByTestId('roll-call-course').textContent()).toBe('HIS-210 · History of Science');
      const names = (await page.getByTestId('roll-call-name').allTextContents()).map((n) => n.trim());
      expect(names).toEqual(STUDENTS);
      const numbers = await page.getByTestId('roll-call-row').evaluateAll((els) => els.map((el) => el.getAttribute('data-student-number')));
      expect(numbers).toEqual(students.map((s) => s.number));
      // Photo-less: initials stand in for faces.
      expect((await row(page, 'Ada Lovelace').locator('.mantine-Avatar-root').textContent())?.trim()).toBe('AL');
      expect(await summaryOn(page)).toEqual({ enrolled: 6, present: 0, late: 0, absent: 0, excused: 0, pending: 0, unmarked: 6 });
    }
    // The first row is where the keys start.
    expect(await activeName(pageA)).toBe('Ada Lovelace');
    // Gone if B's page ever reloads: every mark below must reach it live.
    await pageB.evaluate(() => Object.assign(window, { __samePage: true }));
  });

  it('teacher A takes the whole roll call by keyboard while teacher B sees each mark arrive', async () => {
    // [key, whom it marks (or null for a move), status, where the active row is afterwards]
    const steps: [string, string | null, string | null, string][] = [
      ['p', 'Ada Lovelace', 'present', 'Blaise Pascal'],
      ['l', 'Blaise Pascal', 'late', 'Carl Gauss'],
      ['ArrowDown', null, null, 'Dora Dodd'],
      ['a', 'Dora Dodd', 'absent', 'Emmy Noether'],
      ['ArrowUp', null, null, 'Dora Dodd'],
      ['k', null, null, 'Carl Gauss'],
      ['e', 'Carl Gauss', 'excused', 'Dora Dodd'],
      ['j', null, null, 'Emmy Noether'],
      ['Shift+P', 'Emmy Noether', 'present', 'Fritz Haber'],
      ['a', 'Fritz Haber', 'absent', 'Fritz Haber'],
      // A correction: back to the top, Ada came in late after all.
      ['Home', null, null, 'Ada Lovelace'],
      ['l', 'Ada Lovelace', 'late', 'Blaise Pascal'],
    ];
    for (const [key, who, status, next] of steps) {
      await pageA.keyboard.press(key);
      expect(await activeName(pageA), `after ${key}`).toBe(next);
      if (who && status) {
        await expect.poll(() => statusOn(pageA, who), { message: `A: ${who} ${status}` }).toBe(status);
        await expect.poll(() => statusOn(pageB, who), { message: `B: ${who} ${status}` }).toBe(status);
      }
    }

    const expected: Record<string, string> = {
      'Ada Lovelace': 'late',
      'Blaise Pascal': 'late',
      'Carl Gauss': 'excused',
      'Dora Dodd': 'absent',
      'Emmy Noether': 'present',
      'Fritz Haber': 'absent',
    };
    for (const page of [pageA, pageB]) {
      for (const [name, status] of Object.entries(expected)) expect(await statusOn(page, name), name).toBe(status);
    }

    // The database agrees, and every record is teacher A's roll call.
    const { items } = await restA.call<{ items: RecordItem[] }>('GET', `/api/sessions/${sessionId}/records`);
    expect(items).toHaveLength(6);
    for (const s of students) {
      const record = items.find((r) => r.studentId === s.id)!;
      expect(record, s.name).toMatchObject({ status: expected[s.name], method: 'rollcall', updatedBy: teacherA.id });
    }
    const ada = items.find((r) => r.studentId === students[0].id)!;
    expect(ada.version).toBe(2); // present, then late

    // The summary bar on both pages matches the database's count.
    const db = await restA.call<Summary>('GET', `/api/sessions/${sessionId}/summary`);
    expect(db).toEqual({ enrolled: 6, present: 1, late: 2, absent: 2, excused: 1, pending: 0, unmarked: 0 });
    for (const page of [pageA, pageB]) await expect.poll(() => summaryOn(page)).toEqual(db);

    expect(await pageB.evaluate(() => (window as unknown as { __samePage?: boolean }).__samePage)).toBe(true);
  });

  it('teacher B corrects a record with a note; A sees it live, and the history says who, when, before → after and why', async () => {
    await row(pageB, 'Dora Dodd').getByTestId('edit-record').click();
    const dialog = pageB.getByRole('dialog');
    await dialog.getByTestId('record-dialog-name').waitFor();
    expect(await dialog.getByTestId('record-delete').count()).toBe(0); // deleting is for admins
    await dialog.getByTestId('history-item').first().waitFor();
    expect(await dialog.getByTestId('history-item').count()).toBe(1);
    await dialog.getByText('Excused', { exact: true }).click();
    await dialog.getByTestId('record-note').fill("Doctor's note");
    await dialog.getByTestId('record-save').click();
    await dialog.waitFor({ state: 'hidden' });

    await expect.poll(() => statusOn(pageB, 'Dora Dodd')).toBe('excused');
    await expect.poll(() => statusOn(pageA, 'Dora Dodd')).toBe('excused');
    await expect.poll(async () => (await summaryOn(pageA)).excused).toBe(2);
    await expect.poll(async () => (await summaryOn(pageB)).absent).toBe(1);

    // Teacher A opens the same record (Enter on the active row works too).
    await row(pageA, 'Dora Dodd').click({ position: { x: 12, y: 12 } });
    await pageA.keyboard.press('Enter');
    const dialogA = pageA.getByRole('dialog');
    await dialogA.getByTestId('record-history').waitFor();
    const items = dialogA.getByTestId('history-item');
    await expect.poll(() => items.count()).toBe(2);
    const newest = (await items.nth(0).textContent()) ?? '';
    expect(await items.nth(0).getAttribute('data-action')).toBe('record.updated');
    expect(newest).toContain('absent → excused');
    expect(newest).toContain("Doctor's note");
    expect(newest).toContain('Theo Assistant');
    const first = (await items.nth(1).textContent()) ?? '';
    expect(await items.nth(1).getAttribute('data-action')).toBe('record.marked');
    expect(first).toContain('no record → absent');
    expect(first).toContain('Tara Teacher');
    expect(await dialogA.getByTestId('record-note').inputValue()).toBe("Doctor's note");
    await pageA.keyboard.press('Escape');
    await dialogA.waitFor({ state: 'hidden' });
  });

  it('filters: unmarked only, and search by name or number', async () => {
    const unmarkedOnly = pageA.locator('label', { hasText: 'Unmarked only' });
    expect(await unmarkedOnly.textContent()).toContain('(0)');
    await unmarkedOnly.click();
    await pageA.getByTestId('roll-call-empty').getByText('Everyone is marked.').waitFor();
    await unmarkedOnly.click();
    await expect.poll(() => pageA.getByTestId('roll-call-row').count()).toBe(6);

    await pageA.getByTestId('roll-call-search').fill('noe');
    await expect.poll(() => pageA.getByTestId('roll-call-name').allTextContents()).toEqual(['Emmy Noether']);
    await pageA.getByTestId('roll-call-search').fill('S702');
    await expect.poll(() => pageA.getByTestId('roll-call-name').allTextContents()).toEqual(['Blaise Pascal']);
    // Typing in the search box is not a shortcut: nothing was marked by those letters.
    expect(await statusOn(pageA, 'Blaise Pascal')).toBe('late');
    await pageA.getByTestId('roll-call-search').fill('nobody');
    await pageA.getByTestId('roll-call-empty').getByText('No student matches').waitFor();
    await pageA.getByTestId('roll-call-search').fill('');
    await expect.poll(() => pageA.getByTestId('roll-call-row').count()).toBe(6);
  });

  it('a scheduled session says to open it first, with the way there; on a phone the marks fit the screen', async () => {
    await pageA.goto(`/sessions/${scheduledId}/roll-call`);
    const notice = pageA.getByTestId('roll-call-not-open');
    await notice.waitFor();
    expect(await notice.getByRole('link', { name: 'Open the session' }).getAttribute('href')).toBe(`/sessions/${scheduledId}/live`);

    const phone = (await open('phone', 'teacher B phone')).page;
    await openRollCall(phone, teacherB.username, teacherB.password);
    await phone.getByTestId('roll-call-row').first().waitFor();
    await row(phone, 'Fritz Haber').getByTestId('mark-present').click();
    await expect.poll(() => statusOn(phone, 'Fritz Haber')).toBe('present');
    await expect.poll(() => statusOn(pageB, 'Fritz Haber')).toBe('present');
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
  });

  it('a burst of keys, faster than the replies, converges on both pages and in the database', async () => {
    await pageA.goto(`/sessions/${sessionId}/roll-call`);
    await pageA.locator('[data-testid="roll-call-live"][data-status="live"]').waitFor();
    await pageA.getByTestId('roll-call-row').first().waitFor();
    await pageA.keyboard.press('Home');
    for (let i = 0; i < STUDENTS.length; i++) await pageA.keyboard.press('p');
    for (const page of [pageA, pageB]) {
      for (const name of STUDENTS) await expect.poll(() => statusOn(page, name), { message: name }).toBe('present');
    }
    const db = await restA.call<Summary>('GET', `/api/sessions/${sessionId}/summary`);
    expect(db).toEqual({ enrolled: 6, present: 6, late: 0, absent: 0, excused: 0, pending: 0, unmarked: 0 });
    for (const page of [pageA, pageB]) await expect.poll(() => summaryOn(page)).toEqual(db);
    expect(await pageB.evaluate(() => (window as unknown as { __samePage?: boolean }).__samePage)).toBe(true);
  });

  it('the admin registers a device, sees its key once, and revokes it', async () => {
    const bp = await open('desktop', 'admin');
    await bp.context.grantPermissions(['clipboard-read', 'clipboard-write']);
    const page = bp.page;
    await signIn(page, 'admin', 'admin-password-1');
    await page.getByTestId('nav-devices').click();
    await page.getByTestId('devices-page').waitFor();
    await page.getByTestId('devices-empty').waitFor();
    await page.getByTestId('kiosk-help').getByText('/api/attendance/scan').first().waitFor();

    await page.getByTestId('register-device').click();
    await page.getByTestId('device-name').fill('Gate kiosk');
    await page.getByTestId('device-location').fill('Main hall');
    await page.getByTestId('register-device-submit').click();
    const keyCell = page.getByTestId('device-api-key');
    await keyCell.waitFor();
    const apiKey = (await keyCell.textContent())!.trim();
    expect(apiKey).toMatch(/^rbd_[A-Za-z0-9_-]{20,}$/);
    expect(await page.getByTestId('device-key-panel').textContent()).toContain('shown only this once');
    await page.getByTestId('copy-device-key').click();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(apiKey);

    // The key works (and is what the device will use).
    const me = await fetch(`${server.url}/api/devices/me`, { headers: { authorization: `Bearer ${apiKey}` } });
    expect(me.status).toBe(200);
    expect(((await me.json()) as { device: { name: string } }).device.name).toBe('Gate kiosk');

    await page.getByTestId('device-key-done').click();
    await keyCell.waitFor({ state: 'detached' });
    const devRow = page.getByTestId('device-row');
    await devRow.waitFor();
    expect(await devRow.getByTestId('device-name-cell').textContent()).toBe('Gate kiosk');
    expect(await devRow.textContent()).toContain('Main hall');
    expect(await devRow.textContent()).toContain(apiKey.slice(0, 10));
    // Never again on screen, not even after a reload.
    await page.reload();
    await devRow.waitFor();
    expect(await page.content()).not.toContain(apiKey);
    // It asked /api/devices/me above: last seen just now.
    expect(await devRow.getByTestId('device-state').getAttribute('data-state')).toBe('online');
    expect(await devRow.getByTestId('device-last-seen').textContent()).toMatch(/seconds? ago|a minute ago/);

    await devRow.getByTestId('revoke-device').click();
    await page.getByTestId('confirm-revoke-device').click();
    await page.getByTestId('devices-empty').waitFor();
    await page.getByRole('switch', { name: 'Show revoked devices' }).check();
    await page.locator('[data-testid="device-state"][data-state="revoked"]').waitFor();
    const after = await fetch(`${server.url}/api/devices/me`, { headers: { authorization: `Bearer ${apiKey}` } });
    expect(after.status).toBe(401);
  });
});
