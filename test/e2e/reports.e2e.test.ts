import { readFile } from 'node:fs/promises';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it, onTestFailed } from 'vitest';
import { describeBrowser, launchBrowser, openDesktopPage, openPhonePage, signIn, startServer, type BrowserPage, type E2EServer } from './harness.js';
import { createUser, restAs, restAsAdmin, type Rest } from './rest.js';

interface Person {
  id: string;
  username: string;
  password: string;
  name: string;
  number: string;
}

/**
 * Two held lectures of STA-101 (threshold 75%):
 *   Lecture 1: Ada checks in with the code (present), Ben is marked late, Cleo is left unmarked (absent on close).
 *   Lecture 2: Ada checks in (present), Cleo is excused, Ben is left unmarked (absent on close).
 * So Ada 2/2 = 100%; Ben 1/2 = 50% (needs 2 more in a row: 3/4 = 75%); Cleo 0/1 = 0% (needs 3: 3/4).
 */
describeBrowser('attendance reports: the student page and the course report', () => {
  let server: E2EServer;
  let browser: Browser;
  const opened: BrowserPage[] = [];

  let admin: Rest;
  let teacher: Person;
  const students: Record<'ada' | 'ben' | 'cleo', Person> = {} as never;
  let courseId: string;

  async function open(kind: 'desktop' | 'phone'): Promise<Page> {
    const bp = kind === 'phone' ? await openPhonePage(browser, server.url) : await openDesktopPage(browser, server.url);
    opened.push(bp);
    onTestFailed(() => {
      console.error(`[${kind} page ${bp.page.url()}]`);
      if (bp.problems.length > 0) console.error(bp.problems.join('\n'));
    });
    return bp.page;
  }

  async function person(role: 'teacher' | 'student', username: string, name: string, number: string): Promise<Person> {
    const password = `${username}-password-1`;
    const user = await createUser(admin, {
      role,
      username,
      name,
      password,
      ...(role === 'student' ? { studentNumber: number } : { staffNumber: number }),
    });
    return { id: user.id, username, password, name, number };
  }

  /** Schedules a lecture that started `minutesAgo`, opens it, lets `run` record attendance, then closes it. */
  async function holdLecture(rest: Rest, minutesAgo: number, run: (sessionId: string, code: string) => Promise<void>) {
    const startsAt = new Date(Date.now() - minutesAgo * 60_000);
    const session = await rest.call<{ id: string }>('POST', `/api/courses/${courseId}/sessions`, {
      startsAt: startsAt.toISOString(),
      endsAt: new Date(startsAt.getTime() + 60 * 60_000).toISOString(),
      venue: 'Room 3',
    });
    await rest.call('POST', `/api/sessions/${session.id}/open`, {});
    const { code } = await rest.call<{ code: string }>('GET', `/api/sessions/${session.id}/code`);
    await run(session.id, code);
    await rest.call('POST', `/api/sessions/${session.id}/close`, {});
  }

  async function signInAs(page: Page, p: Person) {
    await page.goto('/login');
    await signIn(page, p.username, p.password);
    await page.getByTestId('user-menu').waitFor();
  }

  const card = (page: Page, code: string) => page.locator(`[data-testid="attendance-course"][data-course-code="${code}"]`);
  const noSideways = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth);

  beforeAll(async () => {
    server = await startServer();
    browser = await launchBrowser();
    admin = await restAsAdmin(server);

    teacher = await person('teacher', 'tess', 'Tess Teacher', 'T-800');
    students.ada = await person('student', 'ada', 'Ada Lovelace', 'S801');
    students.ben = await person('student', 'ben', 'Ben Franklin', 'S802');
    students.cleo = await person('student', 'cleo', 'Cleo Patra', 'S803');
    const all = Object.values(students);

    const course = await admin.call<{ id: string }>('POST', '/api/courses', { code: 'STA-101', name: 'Statistics', teacherIds: [teacher.id] });
    courseId = course.id;
    await admin.call('POST', `/api/courses/${courseId}/enrollments`, { studentIds: all.map((s) => s.id) });
    // A course with nothing held yet: its card must not pretend to a percentage.
    const art = await admin.call<{ id: string }>('POST', '/api/courses', { code: 'ART-100', name: 'Drawing', teacherIds: [teacher.id] });
    await admin.call('POST', `/api/courses/${art.id}/enrollments`, { studentIds: [students.ben.id] });

    const tess = await restAs(server, teacher.username, teacher.password);
    const ada = await restAs(server, students.ada.username, students.ada.password);

    await holdLecture(tess, 240, async (sessionId, code) => {
      await ada.call('POST', '/api/checkin', { code });
      await tess.call('PUT', `/api/sessions/${sessionId}/records/${students.ben.id}`, { status: 'late' });
    });
    await holdLecture(tess, 120, async (sessionId, code) => {
      await ada.call('POST', '/api/checkin', { code });
      await tess.call('PUT', `/api/sessions/${sessionId}/records/${students.cleo.id}`, { status: 'excused', note: 'doctor' });
    });

    // The figures the pages must show, as the API has them.
    const report = await tess.call<{ sessions: number; items: { student: { id: string }; percentage: number }[] }>('GET', `/api/courses/${courseId}/report`);
    expect(report.sessions).toBe(2);
    expect(Object.fromEntries(report.items.map((i) => [i.student.id, i.percentage]))).toEqual({
      [students.ada.id]: 100,
      [students.ben.id]: 50,
      [students.cleo.id]: 0,
    });
  });

  afterAll(async () => {
    for (const bp of opened) await bp.context.close().catch(() => {});
    await browser?.close();
    await server?.close();
  });

  it('a student below the threshold opens Attendance on a phone: the percentage, the warning, the counts, the history', async () => {
    const page = await open('phone');
    await signInAs(page, students.ben);
    // The home page has the compact line per course.
    const homeLine = page.locator('[data-testid="home-attendance-line"][data-course-code="STA-101"]');
    await expect.poll(() => homeLine.textContent()).toContain('50%');

    await page.getByTestId('nav-burger').click();
    await page.getByTestId('nav-attendance').click();
    await page.waitForURL('**/attendance');
    await page.getByTestId('my-attendance').waitFor();

    const sta = card(page, 'STA-101');
    await sta.waitFor();
    expect(await sta.getAttribute('data-percentage')).toBe('50');
    expect((await sta.getByTestId('attendance-percentage').textContent())?.trim()).toBe('50%');
    const warning = sta.getByTestId('attendance-warning');
    expect(await warning.isVisible()).toBe(true);
    expect(await warning.getAttribute('data-needed')).toBe('2');
    expect(await warning.textContent()).toContain('Below the 75% threshold');
    expect(await warning.textContent()).toContain('Attend the next 2 sessions in a row');
    const counts: Record<string, string | null> = {};
    for (const k of ['present', 'late', 'absent', 'excused']) counts[k] = await sta.getByTestId(`attendance-count-${k}`).getAttribute('data-count');
    expect(counts).toEqual({ present: '0', late: '1', absent: '1', excused: '0' });

    // The history: newest first, each with its status.
    await sta.getByTestId('attendance-history-toggle').click();
    const records = sta.getByTestId('attendance-record');
    await records.first().waitFor();
    expect(await records.evaluateAll((els) => els.map((el) => `${el.getAttribute('data-session-number')}:${el.getAttribute('data-status')}`))).toEqual([
      '2:absent',
      '1:late',
    ]);
    expect(await records.first().textContent()).toContain('Lecture 2');
    expect(await records.first().textContent()).toContain('No check-in');
    expect(await records.nth(1).textContent()).toContain('Marked by teacher');

    // Nothing held yet in the other course: no percentage, no warning.
    const art = card(page, 'ART-100');
    expect((await art.getByTestId('attendance-percentage').textContent())?.trim()).toBe('—');
    expect(await art.getByTestId('attendance-summary').textContent()).toBe('No sessions held yet');
    expect(await art.getByTestId('attendance-warning').count()).toBe(0);

    expect(await noSideways(page)).toBeLessThanOrEqual(390);
  });

  it('a student clear of the threshold sees no warning; one excused and one absent counts 0% of one session', async () => {
    const adaPage = await open('phone');
    await signInAs(adaPage, students.ada);
    await adaPage.goto('/attendance');
    const ada = card(adaPage, 'STA-101');
    await ada.waitFor();
    expect((await ada.getByTestId('attendance-percentage').textContent())?.trim()).toBe('100%');
    expect(await ada.getAttribute('data-below')).toBe('false');
    expect(await ada.getByTestId('attendance-warning').count()).toBe(0);
    expect(await ada.getByTestId('attendance-count-present').getAttribute('data-count')).toBe('2');

    const cleoPage = await open('phone');
    await signInAs(cleoPage, students.cleo);
    await cleoPage.goto('/attendance');
    const cleo = card(cleoPage, 'STA-101');
    await cleo.waitFor();
    expect((await cleo.getByTestId('attendance-percentage').textContent())?.trim()).toBe('0%');
    expect(await cleo.getByTestId('attendance-summary').textContent()).toContain('Attended 0 of 1 session (1 excused)');
    expect(await cleo.getByTestId('attendance-warning').getAttribute('data-needed')).toBe('3');
  });

  it("the teacher opens the course's Report tab: summary, sortable table, filter, and both CSV downloads", async () => {
    const page = await open('desktop');
    await signInAs(page, teacher);
    await page.goto(`/courses/${courseId}`);
    await page.getByTestId('course-tab-report').click();
    await page.getByTestId('course-report').waitFor();
    expect(page.url()).toContain('tab=report');

    const stat = (id: string) => page.getByTestId(id).getAttribute('data-value');
    expect(await stat('report-students')).toBe('3');
    expect(await stat('report-sessions')).toBe('2');
    expect(await stat('report-average')).toBe('50%');
    expect(await stat('report-below')).toBe('2');
    await page.getByTestId('report-chart').waitFor();

    const rows = page.getByTestId('report-row');
    const table = () =>
      rows.evaluateAll((els) =>
        els.map((el) =>
          [
            el.querySelector('[data-testid="report-name"]')?.textContent,
            el.getAttribute('data-student-number'),
            ...['present', 'late', 'absent', 'excused', 'percentage'].map((k) => el.querySelector(`[data-testid="report-${k}"]`)?.textContent?.trim()),
          ].join(' '),
        ),
      );
    // Lowest first, as the server orders it.
    expect(await table()).toEqual(['Cleo Patra S803 0 0 1 1 0%', 'Ben Franklin S802 0 1 1 0 50%', 'Ada Lovelace S801 2 0 0 0 100%']);

    await page.getByTestId('report-sort-name').click();
    expect(await rows.getByTestId('report-name').allTextContents()).toEqual(['Ada Lovelace', 'Ben Franklin', 'Cleo Patra']);
    await page.getByTestId('report-sort-name').click();
    expect(await rows.getByTestId('report-name').allTextContents()).toEqual(['Cleo Patra', 'Ben Franklin', 'Ada Lovelace']);
    await page.getByTestId('report-sort-percentage').click();
    await page.getByTestId('report-sort-percentage').click();
    expect(await rows.getByTestId('report-name').allTextContents()).toEqual(['Ada Lovelace', 'Ben Franklin', 'Cleo Patra']);

    await page.getByRole('switch', { name: /Below threshold only/ }).check();
    await expect.poll(() => rows.count()).toBe(2);
    expect(await rows.getByTestId('report-name').allTextContents()).toEqual(['Ben Franklin', 'Cleo Patra']);

    // The report CSV through a real download, even after the short-lived access cookie has gone
    // (a report page left open for a while): the click renews the session before following the link.
    await page.context().clearCookies({ name: 'rb_access' });
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('report-download-report').click()]);
    expect(download.suggestedFilename()).toBe('STA-101-attendance.csv');
    const csv = (await readFile(await download.path())).toString('utf8').trim().split('\r\n');
    expect(csv[0]).toBe('studentNumber,name,held,present,late,absent,excused,percentage,belowThreshold');
    expect(csv.slice(1).sort()).toEqual([
      'S801,Ada Lovelace,2,2,0,0,0,100,false',
      'S802,Ben Franklin,2,0,1,1,0,50,true',
      'S803,Cleo Patra,2,0,0,1,1,0,true',
    ]);

    // …and the records CSV the link points at, with the page's own cookies.
    const href = await page.getByTestId('report-download-records').getAttribute('href');
    expect(href).toBe(`/api/courses/${courseId}/records.csv`);
    const res = await page.request.get(href!);
    expect(res.status()).toBe(200);
    expect(res.headers()['content-type']).toContain('text/csv');
    const lines = (await res.text()).trim().split('\r\n');
    expect(lines[0]).toMatch(/^sessionNumber,startsAt,studentNumber/);
    expect(lines).toHaveLength(1 + 2 * 3);
    expect(lines.filter((l) => l.includes(',excused,'))).toHaveLength(1);
  });

  it('the report fits a phone', async () => {
    const page = await open('phone');
    await signInAs(page, teacher);
    await page.goto(`/courses/${courseId}?tab=report`);
    await page.getByTestId('report-table').waitFor();
    expect(await page.getByTestId('report-row').count()).toBe(3);
    expect(await noSideways(page)).toBeLessThanOrEqual(390);
  });
});
