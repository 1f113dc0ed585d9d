import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it, onTestFailed } from 'vitest';
import { describeBrowser, launchBrowser, openDesktopPage, openPhonePage, signIn, startServer, type BrowserPage, type E2EServer } from './harness.js';
import { createUser, restAs, restAsAdmin, type Rest } from './rest.js';

// A 1×1 PNG: a real image, recognised from its bytes by the server.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);

describeBrowser('absence requests', () => {
  let server: E2EServer;
  let browser: Browser;
  let admin: Rest;
  const opened: BrowserPage[] = [];

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

  it('a student on a phone requests an absence with a photo; the teacher approves it in the queue; the student sees it approved and the record excused, live', async () => {
    const teacher = await createUser(admin, { role: 'teacher', username: 'tara', name: 'Tara Teacher', password: 'teacher-pass-1' });
    const student = await createUser(admin, { role: 'student', username: 'sam', name: 'Sam Student', studentNumber: 'S3001', password: 'student-pass-1' });
    const course = await admin.call<{ id: string }>('POST', '/api/courses', { code: 'BIO101', name: 'Biology', teacherIds: [teacher.id] });
    await admin.call('POST', `/api/courses/${course.id}/enrollments`, { studentIds: [student.id] });
    const startsAt = new Date(Date.now() - 30 * 60_000);
    const session = await admin.call<{ id: string }>('POST', `/api/courses/${course.id}/sessions`, {
      startsAt: startsAt.toISOString(),
      endsAt: new Date(startsAt.getTime() + 90 * 60_000).toISOString(),
    });
    const tara = await restAs(server, 'tara', 'teacher-pass-1');
    await tara.call('POST', `/api/sessions/${session.id}/open`, {});
    await tara.call('POST', `/api/sessions/${session.id}/close`);

    // The student, on a phone: from the absent record in their attendance to the request form.
    const phone = await openPhonePage(browser, server.url);
    opened.push(phone);
    onTestFailed(() => {
      if (phone.problems.length > 0) console.error(`[phone ${phone.page.url()}]\n${phone.problems.join('\n')}`);
    });
    const sp = phone.page;
    await sp.goto('/');
    await signIn(sp, 'sam', 'student-pass-1');
    await sp.getByTestId('student-home').waitFor();
    await sp.goto('/attendance');
    await sp.getByTestId('attendance-history-toggle').click();
    await sp.getByTestId('record-request-absence').click();
    await sp.getByTestId('absence-form').waitFor();
    const picked = sp.locator(`[data-testid="absence-session"][data-session-id="${session.id}"]`);
    await picked.waitFor();
    expect(await picked.isChecked()).toBe(true);
    await sp.getByTestId('absence-reason').fill('Fever, doctor’s note attached');
    await sp.getByTestId('absence-file-input').setInputFiles({ name: 'doctors-note.png', mimeType: 'image/png', buffer: PNG });
    await sp.getByTestId('absence-picked-file').waitFor();
    await sp.getByTestId('absence-submit').click();
    await sp.getByTestId('my-absences').waitFor();
    const card = sp.getByTestId('my-absence').first();
    await card.waitFor();
    expect(await card.getAttribute('data-state')).toBe('pending');
    expect(await card.textContent()).toContain('1 file attached');
    await sp.locator('[data-testid="realtime-indicator"][data-status="live"]').waitFor();

    // The teacher: the count in the navigation, the photo inline, approve with a response.
    const desk = await openDesktopPage(browser, server.url);
    opened.push(desk);
    onTestFailed(() => {
      if (desk.problems.length > 0) console.error(`[desktop ${desk.page.url()}]\n${desk.problems.join('\n')}`);
    });
    const tp = desk.page;
    await tp.goto('/');
    await signIn(tp, 'tara', 'teacher-pass-1');
    const count = tp.getByTestId('absences-pending-count');
    await count.waitFor();
    expect(await count.getAttribute('data-count')).toBe('1');
    await tp.getByTestId('nav-absences').click();
    const review = tp.getByTestId('review-absence').first();
    await review.waitFor();
    expect(await review.textContent()).toContain('Sam Student');
    await review.getByTestId('attachment-preview-toggle').click();
    const img = review.getByTestId('attachment-image');
    await img.waitFor();
    await expect.poll(() => img.evaluate((el) => (el as HTMLImageElement).naturalWidth)).toBe(1);
    await review.getByTestId('review-response').fill('Get well soon');
    await review.getByTestId('review-approve').click();
    await tp.getByTestId('review-empty').waitFor();
    await expect.poll(() => tp.getByTestId('absences-pending-count').count()).toBe(0);

    // Back on the phone, without a reload: approved, with the response, and the record excused.
    await sp.locator('[data-testid="my-absence"][data-state="approved"]').waitFor();
    expect(await sp.getByTestId('absence-response').textContent()).toContain('Get well soon');
    await sp.locator('[data-testid="absence-excused-count"][data-count="1"]').waitFor();
    await sp.goto('/attendance');
    await sp.getByTestId('attendance-history-toggle').click();
    await sp.locator('[data-testid="attendance-record"][data-status="excused"]').waitFor();

    // The teacher's course report shows the request beside the student.
    await tp.goto(`/courses/${course.id}`);
    await tp.getByTestId('course-tab-report').click();
    const requests = tp.getByTestId('report-absences');
    await requests.waitFor();
    expect(await requests.textContent()).toBe('1 absence request (1 approved)');
  });
});
