import { readFile } from 'node:fs/promises';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it, onTestFailed } from 'vitest';
import { describeBrowser, launchBrowser, openDesktopPage, openPhonePage, signIn, startServer, type BrowserPage, type E2EServer } from './harness.js';
import { createUser, restAs, restAsAdmin, type Rest } from './rest.js';

/**
 * PHY-201, three held lectures: Ada checks in to each, Ben never comes (three absences in a row,
 * 0 %). The teacher's home lists Ben at risk, the course report shows the grid and hands out the
 * XLSX and the PDF; Ada, checking in to a fourth lecture on her phone, sees her 100 %.
 */
describeBrowser('warnings, the grid and the exports', () => {
  let server: E2EServer;
  let browser: Browser;
  const opened: BrowserPage[] = [];
  let admin: Rest;
  let tess: Rest;
  let courseId: string;
  const people = {
    teacher: { id: '', username: 'wtess', password: 'wtess-password-1', name: 'Tess Teacher' },
    ada: { id: '', username: 'wada', password: 'wada-password-1', name: 'Ada Lovelace' },
    ben: { id: '', username: 'wben', password: 'wben-password-1', name: 'Ben Franklin' },
  };

  async function open(kind: 'desktop' | 'phone'): Promise<Page> {
    const bp = kind === 'phone' ? await openPhonePage(browser, server.url) : await openDesktopPage(browser, server.url);
    opened.push(bp);
    onTestFailed(() => {
      if (bp.problems.length > 0) console.error(bp.problems.join('\n'));
    });
    return bp.page;
  }

  async function lecture(minutesAgo: number): Promise<{ id: string; code: string }> {
    const startsAt = new Date(Date.now() - minutesAgo * 60_000);
    const session = await tess.call<{ id: string }>('POST', `/api/courses/${courseId}/sessions`, {
      startsAt: startsAt.toISOString(),
      endsAt: new Date(startsAt.getTime() + 50 * 60_000).toISOString(),
    });
    await tess.call('POST', `/api/sessions/${session.id}/open`, {});
    const { code } = await tess.call<{ code: string }>('GET', `/api/sessions/${session.id}/code`);
    return { id: session.id, code };
  }

  beforeAll(async () => {
    server = await startServer();
    browser = await launchBrowser();
    admin = await restAsAdmin(server);
    people.teacher.id = (await createUser(admin, { role: 'teacher', username: people.teacher.username, name: people.teacher.name, password: people.teacher.password })).id;
    for (const [key, n] of [['ada', 'W1'], ['ben', 'W2']] as const) {
      const p = people[key];
      p.id = (await createUser(admin, { role: 'student', username: p.username, name: p.name, password: p.password, studentNumber: n })).id;
    }
    courseId = (await admin.call<{ id: string }>('POST', '/api/courses', { code: 'PHY-201', name: 'Mechanics', teacherIds: [people.teacher.id] })).id;
    await admin.call('POST', `/api/courses/${courseId}/enrollments`, { studentIds: [people.ada.id, people.ben.id] });
    tess = await restAs(server, people.teacher.username, people.teacher.password);
    const ada = await restAs(server, people.ada.username, people.ada.password);
    for (const minutesAgo of [600, 400, 200]) {
      const { id, code } = await lecture(minutesAgo);
      await ada.call('POST', '/api/checkin', { code });
      await tess.call('POST', `/api/sessions/${id}/close`, {});
    }
    await server.app.warningEvaluator.idle();
  });

  afterAll(async () => {
    for (const bp of opened) await bp.context.close().catch(() => {});
    await browser?.close();
    await server?.close();
  });

  it('the teacher sees Ben at risk on the home page, the grid on the report, and downloads the XLSX and the PDF', async () => {
    const page = await open('desktop');
    await page.goto('/login');
    await signIn(page, people.teacher.username, people.teacher.password);
    await page.getByTestId('teacher-home').waitFor();
    const ben = page.locator(`[data-testid="at-risk-student"][data-student-id="${people.ben.id}"]`);
    await ben.waitFor();
    expect(await ben.textContent()).toContain('Ben Franklin');
    expect(await ben.locator('[data-testid="at-risk-warning"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-kind')).sort())).toEqual([
      'below_threshold',
      'cannot_reach_threshold',
      'consecutive_absences',
    ]);
    expect(await ben.textContent()).toMatch(/3 absences in a row: /);
    expect(await page.locator(`[data-testid="at-risk-student"][data-student-id="${people.ada.id}"]`).count()).toBe(0);
    await page.locator(`[data-testid="course-sparkline"][data-course-id="${courseId}"]`).waitFor();
    expect(await page.locator(`[data-testid="course-sparkline"][data-course-id="${courseId}"]`).getAttribute('data-average')).toBe('50');

    await page.goto(`/courses/${courseId}?tab=report`);
    await page.getByTestId('attendance-grid').waitFor();
    const cells = async (id: string) =>
      page.locator(`[data-testid="grid-row"][data-student-id="${id}"] [data-testid="grid-cell"]`).evaluateAll((els) => els.map((e) => e.getAttribute('data-status')));
    expect(await cells(people.ada.id)).toEqual(['present', 'present', 'present']);
    expect(await cells(people.ben.id)).toEqual(['absent', 'absent', 'absent']);
    await page.getByTestId('session-trend').waitFor();

    const [xlsx] = await Promise.all([page.waitForEvent('download'), page.getByTestId('report-download-xlsx').click()]);
    expect(xlsx.suggestedFilename()).toBe('PHY-201-attendance.xlsx');
    expect((await readFile(await xlsx.path())).subarray(0, 2).toString()).toBe('PK');
    const [pdf] = await Promise.all([page.waitForEvent('download'), page.getByTestId('report-download-pdf').click()]);
    expect(pdf.suggestedFilename()).toBe('PHY-201-attendance.pdf');
    expect((await readFile(await pdf.path())).subarray(0, 5).toString()).toBe('%PDF-');
  });

  it('the student checks in on the phone and sees her attendance on the success screen', async () => {
    const { code } = await lecture(5);
    const page = await open('phone');
    await page.goto('/login');
    await signIn(page, people.ada.username, people.ada.password);
    // Signed in (the account menu shows) before leaving the page: navigating while the sign-in
    // request is still out loads /checkin signed out, which sends the phone back to /login.
    await page.getByTestId('user-menu').waitFor();
    await page.goto('/checkin');
    await page.getByTestId('checkin-code').fill(code);
    await page.getByTestId('checkin-submit').click();
    await page.getByTestId('checkin-success').waitFor();
    expect(await page.getByTestId('checkin-attendance').getAttribute('data-percentage')).toBe('100');
    expect(await page.getByTestId('checkin-attendance').textContent()).toContain('3 of 3 held sessions');
    // Her attendance page: one dot per session, the open one hollow until it closes.
    await page.goto('/attendance');
    await page.getByTestId('attendance-timeline').waitFor();
    expect(await page.getByTestId('attendance-dot').count()).toBe(4);
  });
});
