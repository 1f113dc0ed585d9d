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
import { createUser, restAsAdmin, type Rest } from './rest.js';

/** YYYY-MM-DD of a UTC date (the server's TIMEZONE and the browser's are both UTC here). */
const ymd = (d: Date) => d.toISOString().slice(0, 10);
const addDays = (d: Date, n: number) => new Date(d.getTime() + n * 86_400_000);
/** ISO weekday, 1 = Monday. */
const isoWeekday = (d: Date) => ((d.getUTCDay() + 6) % 7) + 1;

describeBrowser('courses, sessions and the calendar', () => {
  let server: E2EServer;
  let browser: Browser;
  let admin: Rest;
  const opened: BrowserPage[] = [];

  async function open(kind: 'desktop' | 'phone'): Promise<Page> {
    const bp = kind === 'phone' ? await openPhonePage(browser, server.url) : await openDesktopPage(browser, server.url);
    opened.push(bp);
    onTestFailed(() => {
      if (bp.problems.length > 0) console.error(`[${kind} page ${bp.page.url()}]\n${bp.problems.join('\n')}`);
    });
    return bp.page;
  }

  beforeAll(async () => {
    server = await startServer();
    browser = await launchBrowser();
    admin = await restAsAdmin(server);
  });

  afterAll(async () => {
    for (const bp of opened) await bp.context.close().catch(() => {});
    await browser?.close();
    await server?.close();
  });

  it('a teacher creates a course, enrolls a section, adds a term of weekly sessions, and teacher and students see them in their calendars', async () => {
    // The school as an admin set it up: a section with two students, and a teacher.
    const section = await admin.call<{ id: string }>('POST', '/api/sections', { name: 'BIO-1A', cohort: '2026' });
    await createUser(admin, { role: 'teacher', username: 'tess', name: 'Tess Teacher', password: 'teacher-pass-1' });
    await createUser(admin, { role: 'student', username: 'ana', name: 'Ana Student', studentNumber: 'B001', sectionId: section.id, password: 'student-pass-1' });
    await createUser(admin, { role: 'student', username: 'ben', name: 'Ben Student', studentNumber: 'B002', sectionId: section.id, password: 'student-pass-1' });

    // The term: Mon/Wed/Fri from today for ten weeks, minus one skipped Wednesday.
    const today = new Date(`${ymd(new Date())}T00:00:00Z`);
    const until = addDays(today, 70);
    let skip = addDays(today, 7);
    while (isoWeekday(skip) !== 3) skip = addDays(skip, 1);
    const dates: string[] = [];
    for (let d = today; d <= until; d = addDays(d, 1)) {
      if ([1, 3, 5].includes(isoWeekday(d)) && ymd(d) !== ymd(skip)) dates.push(ymd(d));
    }

    const page = await open('desktop');
    await page.goto('/');
    await signIn(page, 'tess', 'teacher-pass-1');
    await page.getByTestId('teacher-home').waitFor();
    await page.getByTestId('nav-courses').click();
    await page.getByTestId('courses-empty').waitFor();

    // A new course; the teacher lands on its page.
    await page.getByTestId('new-course').click();
    const courseDialog = page.getByRole('dialog', { name: 'New course' });
    await courseDialog.getByRole('textbox', { name: 'Code', exact: true }).fill('BIO110');
    await courseDialog.getByRole('textbox', { name: 'Name', exact: true }).fill('Cell Biology');
    await courseDialog.getByRole('textbox', { name: 'Term', exact: true }).fill('2026-S2');
    await courseDialog.getByTestId('course-form-submit').click();
    await page.getByTestId('course-page').waitFor();
    const coursePath = new URL(page.url()).pathname;
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toContain('BIO110 · Cell Biology');

    // Enroll the whole section.
    await page.getByTestId('course-tab-students').click();
    await page.getByTestId('roster-empty').waitFor();
    await page.getByTestId('roster-enroll').click();
    const enrollDialog = page.getByRole('dialog', { name: 'Enroll students' });
    await enrollDialog.getByTestId('enroll-tab-section').click();
    await enrollDialog.getByRole('textbox', { name: 'Section' }).click();
    await page.getByRole('option', { name: 'BIO-1A (2026)' }).click();
    await enrollDialog.getByTestId('enroll-submit').click();
    expect(await enrollDialog.getByTestId('enroll-result').textContent()).toContain('2 newly enrolled');
    await enrollDialog.getByRole('button', { name: 'Close', exact: true }).last().click();
    await enrollDialog.waitFor({ state: 'hidden' });
    await page.getByTestId('roster-row-ana').waitFor();
    await page.getByTestId('roster-row-ben').waitFor();

    // A term of weekly sessions, checked against the preview first.
    await page.getByTestId('course-tab-sessions').click();
    await page.getByTestId('sessions-empty').waitFor();
    await page.getByTestId('sessions-add-weekly').click();
    const bulk = page.getByRole('dialog', { name: 'Add sessions (weekly)' });
    for (const day of ['Mon', 'Wed', 'Fri']) await bulk.getByText(day, { exact: true }).click();
    await bulk.getByTestId('bulk-from').fill(ymd(today));
    await bulk.getByTestId('bulk-until').fill(ymd(until));
    await bulk.getByTestId('bulk-start').fill('09:00');
    await bulk.getByTestId('bulk-end').fill('10:30');
    await bulk.getByTestId('bulk-venue').fill('Lab 2');
    await bulk.getByTestId('bulk-skip-date').fill(ymd(skip));
    await bulk.getByTestId('bulk-skip-add').click();
    const summary = bulk.getByTestId('bulk-preview-summary');
    await expect.poll(() => summary.textContent()).toContain(`${dates.length} new sessions`);
    expect(await summary.textContent()).toContain('1 skipped');
    expect(await bulk.getByTestId('bulk-preview-list').locator('tr').count()).toBe(dates.length);
    const submit = bulk.getByTestId('bulk-submit');
    expect(await submit.textContent()).toBe(`Add ${dates.length} sessions`);
    await submit.click();
    await bulk.waitFor({ state: 'hidden' });

    await page.getByTestId('sessions-filter').getByText(/^All/).click();
    const rows = page.getByTestId('sessions-list').locator('[data-testid^="session-row-"]');
    await expect.poll(() => rows.count()).toBe(dates.length);
    const first = page.getByTestId('session-row-1');
    expect(await first.textContent()).toContain('Lecture 1');
    expect(await first.textContent()).toContain('Lab 2');
    expect(await first.getByTestId('session-state').textContent()).toBe('Scheduled');
    // Run only once the session can be opened (an hour before its start); before that it says when.
    if (Date.parse(dates[0]! + 'T09:00:00') - 3600_000 <= Date.now()) {
      expect(await first.getByTestId('session-live-link').getAttribute('href')).toMatch(/^\/sessions\/.+\/live$/);
    } else {
      expect(await first.getByTestId('session-live-link').count()).toBe(0);
      await first.getByTestId('session-opens-at').waitFor();
    }

    // The teacher's calendar: next month (wholly inside the term) shows the sessions on their days.
    const nextMonth = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth() + 1, 1));
    const inNextMonth = dates.filter((d) => d.startsWith(ymd(nextMonth).slice(0, 7)));
    const probe = inNextMonth[0]!;
    await page.getByTestId('nav-calendar').click();
    await page.getByTestId('calendar-page').waitFor();
    await page.getByTestId('calendar-next').click();
    const cell = page.getByTestId(`calendar-day-${probe}`);
    await expect.poll(() => cell.getAttribute('data-count')).toBe('1');
    await cell.click();
    const agenda = page.getByTestId(`calendar-agenda-${probe}`);
    await expect.poll(() => agenda.textContent()).toContain('BIO110');
    expect(await agenda.textContent()).toContain('Lab 2');

    // The week view of that day lists that week's sessions.
    await page.getByTestId('calendar-view').getByText('Week', { exact: true }).click();
    await page.getByTestId('calendar-week').waitFor();
    const probeDate = new Date(`${probe}T00:00:00Z`);
    const monday = addDays(probeDate, 1 - isoWeekday(probeDate));
    const inWeek = dates.filter((d) => d >= ymd(monday) && d <= ymd(addDays(monday, 6)));
    await expect.poll(() => page.getByTestId('calendar-week').locator('[data-testid="my-session"]').count()).toBe(inWeek.length);

    // A student of the section sees the same sessions on their phone: home, then calendar.
    const phone = await open('phone');
    await phone.goto('/');
    await signIn(phone, 'ana', 'student-pass-1');
    await phone.getByTestId('student-home').waitFor();
    const upcoming = phone.getByTestId('home-upcoming');
    await expect.poll(async () => ((await phone.getByTestId('home-today').textContent()) ?? '') + ((await upcoming.textContent()) ?? '')).toContain('BIO110');
    await phone.getByTestId('nav-burger').click();
    await phone.getByTestId('nav-calendar').click();
    await phone.getByTestId('calendar-page').waitFor();
    await phone.getByTestId('calendar-next').click();
    const phoneCell = phone.getByTestId(`calendar-day-${probe}`);
    await expect.poll(() => phoneCell.getAttribute('data-count')).toBe('1');
    await phoneCell.click();
    const phoneAgenda = phone.getByTestId(`calendar-agenda-${probe}`);
    await expect.poll(() => phoneAgenda.textContent()).toContain('BIO110 · Cell Biology');
    // Nothing on the page is wider than the phone.
    expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);

    // Subscribe: the private feed has one event per session.
    await phone.getByTestId('calendar-subscribe').click();
    const url = await phone.getByTestId('calendar-url').inputValue();
    expect(url).toMatch(/\/api\/calendar\/.+\.ics$/);
    const ics = await (await fetch(new URL(new URL(url).pathname, server.url))).text();
    expect(ics).toContain('BEGIN:VCALENDAR');
    expect(ics.match(/BEGIN:VEVENT/g)?.length).toBe(dates.length);
    await phone.getByRole('dialog').getByRole('button', { name: 'Close' }).click();
    await phone.getByRole('dialog').waitFor({ state: 'hidden' });

    // The teacher cancels Lecture 2 with a reason: the student is told live, and it shows cancelled.
    await page.goto(coursePath);
    // A cancelled session loses its number (later ones move up), so follow this one by its id.
    const lecture2Id = await page.getByTestId('session-row-2').getAttribute('data-session-id');
    const lecture2 = page.locator(`[data-session-id="${lecture2Id}"]`);
    await lecture2.getByTestId('session-menu').click();
    await page.getByTestId('session-cancel').click();
    const cancelDialog = page.getByRole('dialog', { name: 'Cancel session' });
    await cancelDialog.getByTestId('cancel-session-submit').click();
    await cancelDialog.getByText('Say why').waitFor(); // a reason is required
    await cancelDialog.getByTestId('cancel-reason').fill('Lab maintenance');
    await cancelDialog.getByTestId('cancel-session-submit').click();
    await cancelDialog.waitFor({ state: 'hidden' });
    await expect.poll(() => lecture2.getAttribute('data-state')).toBe('cancelled');
    expect(await lecture2.textContent()).toContain('Lab maintenance');

    // Edit a scheduled session, and add one more after the term.
    const lecture3 = page.getByTestId('session-row-3');
    await lecture3.getByTestId('session-menu').click();
    await page.getByTestId('session-edit').click();
    const editDialog = page.getByRole('dialog', { name: 'Edit Lecture 3' });
    await editDialog.getByRole('textbox', { name: 'Venue' }).fill('Lab 3');
    await editDialog.getByTestId('session-form-submit').click();
    await editDialog.waitFor({ state: 'hidden' });
    await expect.poll(() => lecture3.textContent()).toContain('Lab 3');

    await page.getByTestId('session-add-one').click();
    const addDialog = page.getByRole('dialog', { name: 'Add one session' });
    await addDialog.getByTestId('session-date').fill(ymd(addDays(until, 7)));
    await addDialog.getByTestId('session-start').fill('14:00');
    await addDialog.getByTestId('session-end').fill('13:00');
    await addDialog.getByTestId('session-form-submit').click();
    await addDialog.getByText('Must be after the start time').waitFor();
    await addDialog.getByTestId('session-end').fill('15:00');
    await addDialog.getByRole('textbox', { name: 'Title' }).fill('Exam review');
    await addDialog.getByTestId('session-form-submit').click();
    await addDialog.waitFor({ state: 'hidden' });
    // One lecture is cancelled, so the one added after the term is number dates.length.
    const extra = page.getByTestId(`session-row-${dates.length}`);
    await expect.poll(() => extra.textContent()).toContain(`Lecture ${dates.length} · Exam review`);

    const bell = phone.getByTestId('notification-bell');
    // Two notices: Lecture 2 cancelled, and Lecture 3's room changed.
    await expect.poll(() => bell.getAttribute('aria-label')).toBe('Notifications (2 unread)');
    const toast = phone.locator('.rb-notification-toast').filter({ hasText: 'Class cancelled' });
    await toast.waitFor();
    expect(await toast.textContent()).toContain('Class cancelled: BIO110');
    expect(await toast.textContent()).toContain('Lab maintenance');
  });

  it('an admin manages departments and sections, and creates a course with its teachers', async () => {
    await createUser(admin, { role: 'teacher', username: 'tom', name: 'Tom Tutor', staffNumber: 'T77', password: 'teacher-pass-1' });
    const page = await open('desktop');
    await page.goto('/');
    await signIn(page, ADMIN.username, ADMIN.password);
    await page.getByTestId('admin-home').waitFor();

    await page.getByTestId('nav-departments').click();
    await page.getByTestId('departments-page').waitFor();
    await page.getByTestId('new-department').click();
    const depDialog = page.getByRole('dialog', { name: 'New department' });
    await depDialog.getByRole('textbox', { name: 'Code', exact: true }).fill('CHEM');
    await depDialog.getByRole('textbox', { name: 'Name', exact: true }).fill('Chemistry');
    await depDialog.getByTestId('department-form-submit').click();
    await page.getByTestId('department-row-CHEM').waitFor();

    // A duplicate code is refused on its field.
    await page.getByTestId('new-department').click();
    await depDialog.getByRole('textbox', { name: 'Code', exact: true }).fill('CHEM');
    await depDialog.getByRole('textbox', { name: 'Name', exact: true }).fill('Chemistry again');
    await depDialog.getByTestId('department-form-submit').click();
    await depDialog.getByText(/already|taken|exists/i).first().waitFor();
    await depDialog.getByRole('button', { name: 'Cancel' }).click();
    await depDialog.waitFor({ state: 'hidden' });

    await page.getByTestId('nav-sections').click();
    await page.getByTestId('sections-page').waitFor();
    await page.getByTestId('new-section').click();
    const secDialog = page.getByRole('dialog', { name: 'New section' });
    await secDialog.getByRole('textbox', { name: 'Name', exact: true }).fill('CHEM-2B');
    await secDialog.getByRole('textbox', { name: 'Department' }).click();
    await page.getByRole('option', { name: 'CHEM · Chemistry' }).click();
    await secDialog.getByTestId('section-form-submit').click();
    const row = page.getByTestId('section-row-CHEM-2B');
    await row.waitFor();
    expect(await row.textContent()).toContain('CHEM · Chemistry');

    await page.getByTestId('nav-courses').click();
    await page.getByTestId('courses-page').waitFor();
    await page.getByTestId('new-course').click();
    const courseDialog = page.getByRole('dialog', { name: 'New course' });
    await courseDialog.getByRole('textbox', { name: 'Code', exact: true }).fill('CHEM201');
    await courseDialog.getByRole('textbox', { name: 'Name', exact: true }).fill('Organic Chemistry');
    await courseDialog.getByRole('textbox', { name: 'Teachers' }).click();
    await page.getByRole('option', { name: 'Tom Tutor (T77)' }).click();
    await courseDialog.getByTestId('course-form-submit').click();
    await page.getByTestId('course-page').waitFor();

    const courses = await admin.call<{ items: { code: string; teacherIds: string[] }[] }>('GET', '/api/courses');
    expect(courses.items.find((c) => c.code === 'CHEM201')?.teacherIds).toHaveLength(1);
  });
});
