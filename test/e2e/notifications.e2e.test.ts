import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it, onTestFailed } from 'vitest';
import { describeBrowser, launchBrowser, openPhonePage, signIn, startServer, type BrowserPage, type E2EServer } from './harness.js';
import { createUser, restAsAdmin, type Rest } from './rest.js';

describeBrowser('live notifications', () => {
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

  it('a student sees a notification arrive live (bell + toast), reads it, and the bell survives a dropped socket', async () => {
    const student = await createUser(admin, {
      role: 'student',
      username: 'nina',
      name: 'Nina Notified',
      studentNumber: 'S2001',
      password: 'student-pass-1',
    });

    const bp = await openPhonePage(browser, server.url);
    opened.push(bp);
    onTestFailed(() => {
      if (bp.problems.length > 0) console.error(`[phone page ${bp.page.url()}]\n${bp.problems.join('\n')}`);
    });
    const { page } = bp;
    await page.goto('/');
    await signIn(page, 'nina', 'student-pass-1');
    await page.getByTestId('student-home').waitFor();

    const indicator = page.getByTestId('realtime-indicator');
    await page.locator('[data-testid="realtime-indicator"][data-status="live"]').waitFor();
    const bell = page.getByTestId('notification-bell');
    await expect.poll(() => bell.getAttribute('aria-label')).toBe('Notifications');

    // An admin sends a notification from elsewhere: it shows up without a reload.
    await admin.call('POST', '/api/notifications/test', { userId: student.id, message: 'Room change: lab 4 today' });
    await expect.poll(() => bell.getAttribute('aria-label')).toBe('Notifications (1 unread)');
    const toast = page.locator('.rb-notification-toast');
    await toast.waitFor();
    expect(await toast.textContent()).toContain('Room change: lab 4 today');
    expect(await toast.textContent()).toContain('Test notification');

    // The bell lists it; the notifications page shows it unread and marks it read.
    await bell.click();
    const menu = page.getByTestId('notification-menu');
    await menu.waitFor();
    expect(await menu.textContent()).toContain('Room change: lab 4 today');
    await page.getByTestId('bell-see-all').click();
    await page.getByTestId('notifications-page').waitFor();
    const items = page.getByTestId('notifications-items');
    await items.waitFor();
    expect(await items.locator('[data-read="false"]').count()).toBe(1);
    await items.getByTestId('notification-mark-read').click();
    await items.locator('[data-read="true"]').first().waitFor();
    await expect.poll(() => bell.getAttribute('aria-label')).toBe('Notifications');

    // The server drops every socket: the indicator notices, the client reconnects and resubscribes,
    // and the next notification still arrives live.
    server.app.realtime.closeAll(1011, 'test drop');
    await page.locator('[data-testid="realtime-indicator"][data-status="reconnecting"]').waitFor();
    await page.locator('[data-testid="realtime-indicator"][data-status="live"]').waitFor();
    expect(await indicator.getAttribute('data-status')).toBe('live');
    await admin.call('POST', '/api/notifications/test', { userId: student.id, message: 'Second message after reconnect' });
    await expect.poll(() => bell.getAttribute('aria-label')).toBe('Notifications (1 unread)');
    await page.locator('.rb-notification-toast', { hasText: 'Second message after reconnect' }).waitFor();
    // And the page's list picked it up live too.
    await items.getByText('Second message after reconnect').waitFor();

    // Mark all read from the page; the bell follows.
    await page.getByTestId('notifications-mark-all').click();
    await expect.poll(() => bell.getAttribute('aria-label')).toBe('Notifications');
    // (The only console errors are the signed-out 401s of the first visit.)
    expect(bp.problems.filter((p) => p.startsWith('pageerror'))).toEqual([]);
  });
});
