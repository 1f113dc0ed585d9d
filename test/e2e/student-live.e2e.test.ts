import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it, onTestFailed } from 'vitest';
import { describeBrowser, launchBrowser, openDesktopPage, openPhonePage, signIn, startServer, type BrowserPage, type E2EServer } from './harness.js';
import { createUser, restAs, restAsAdmin, type Rest } from './rest.js';

/**
 * The student's side is live (issue 13): with the student's page open in one browser and the
 * teacher's in another, everything the teacher does reaches the student's screen without a reload.
 */
describeBrowser('the student sees their attendance live', () => {
  let server: E2EServer;
  let browser: Browser;
  const opened: BrowserPage[] = [];
  let teacher: Rest;
  let studentId: string;
  let courseId: string;
  let sessionId: string;

  beforeAll(async () => {
    server = await startServer();
    browser = await launchBrowser();
    const admin = await restAsAdmin(server);
    await createUser(admin, { role: 'teacher', username: 'live-teacher', name: 'Tess Teacher', password: 'live-teacher-pass-1' });
    const student = await createUser(admin, { role: 'student', username: 'live-student', name: 'Sam Student', studentNumber: 'LS-1', password: 'live-student-pass-1' });
    studentId = student.id;
    teacher = await restAs(server, 'live-teacher', 'live-teacher-pass-1');
    courseId = (await teacher.call<{ id: string }>('POST', '/api/courses', { code: 'LIVE101', name: 'Live Systems' })).id;
    await teacher.call('POST', `/api/courses/${courseId}/enrollments`, { studentIds: [studentId] });
    const start = new Date(Date.now() - 5 * 60_000);
    sessionId = (
      await teacher.call<{ id: string }>('POST', `/api/courses/${courseId}/sessions`, {
        startsAt: start.toISOString(),
        endsAt: new Date(start.getTime() + 90 * 60_000).toISOString(),
        venue: 'Room 7',
      })
    ).id;
  });

  afterAll(async () => {
    for (const p of opened) await p.context.close().catch(() => {});
    await browser?.close();
    await server?.close();
  });

  it('opening, a mark, confirming a pending check-in and closing all reach the student without a reload', async () => {
    const phone = await openPhonePage(browser, server.url);
    const desk = await openDesktopPage(browser, server.url);
    opened.push(phone, desk);
    onTestFailed(() => console.log('student problems', phone.problems, 'teacher problems', desk.problems));
    const student = phone.page;
    const teacherPage = desk.page;

    await signIn(student, 'live-student', 'live-student-pass-1');
    const card = student.locator(`[data-testid="my-session"][data-session-id="${sessionId}"]`);
    await card.waitFor();
    expect(await card.getAttribute('data-state')).toBe('scheduled');
    // A full reload would lose this marker: every change below must arrive without one.
    await student.evaluate(() => ((window as unknown as { __noReload: boolean }).__noReload = true));

    // 1. The teacher opens check-in in their browser: the student's home shows it open.
    await signIn(teacherPage, 'live-teacher', 'live-teacher-pass-1');
    // Signed in only once home shows: navigating earlier would abort the sign-in on a busy machine.
    await teacherPage.getByTestId('teacher-home').waitFor();
    await teacherPage.goto(`/sessions/${sessionId}/live`);
    await teacherPage.getByTestId('policy-submit').click();
    await teacherPage.getByTestId('open-projector').waitFor();
    await expect.poll(() => card.getAttribute('data-state'), { timeout: 5_000 }).toBe('open');
    await card.getByTestId('my-session-checkin').waitFor();

    // 2. The teacher marks the student late (roll call): the student's card shows it.
    await teacher.call('PUT', `/api/sessions/${sessionId}/records/${studentId}`, { status: 'late' });
    await expect.poll(() => card.getByTestId('record-status').getAttribute('data-status'), { timeout: 5_000 }).toBe('late');

    // 3. A pending check-in: the teacher clears the mark and turns on approval; the student checks in.
    const admin = await restAsAdmin(server);
    await admin.call('DELETE', `/api/sessions/${sessionId}/records/${studentId}`);
    await expect.poll(() => card.getByTestId('record-status').count(), { timeout: 5_000 }).toBe(0);
    await teacher.call('POST', `/api/sessions/${sessionId}/open`, { requireApproval: true });
    const { code } = await teacher.call<{ code: string }>('GET', `/api/sessions/${sessionId}/code`);
    await card.getByTestId('my-session-checkin').click();
    await student.getByTestId('checkin-code').fill(code);
    await student.getByTestId('checkin-submit').click();
    const result = student.getByTestId('checkin-success');
    await result.waitFor();
    expect(await result.getAttribute('data-state')).toBe('pending');
    expect(await student.getByTestId('checkin-success-title').textContent()).toBe('Waiting for approval');

    // The teacher confirms it on the live page: "Waiting for approval" gives way on the phone.
    await teacherPage.getByTestId('confirm-all').click();
    await expect.poll(() => result.getAttribute('data-state'), { timeout: 5_000 }).toBe('confirmed');
    expect(await student.getByTestId('checkin-success-title').textContent()).not.toBe('Waiting for approval');

    // 4. The teacher closes check-in: the student's home (reached in-app) shows the session closed.
    await student.goto('/'); // the SPA's own navigation is tested elsewhere; the marker below is re-set
    await student.evaluate(() => ((window as unknown as { __noReload: boolean }).__noReload = true));
    await card.waitFor();
    expect(await card.getAttribute('data-state')).toBe('open');
    await teacherPage.getByTestId('close-session').click();
    await teacherPage.getByTestId('confirm-close').click();
    await expect.poll(() => card.getAttribute('data-state'), { timeout: 5_000 }).toBe('closed');
    expect(await student.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload)).toBe(true);
  });
});
