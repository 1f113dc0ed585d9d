import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it, onTestFailed } from 'vitest';
import { startTestSmtp, type TestSmtp } from '../support/smtp.js';
import { ADMIN, describeBrowser, launchBrowser, openDesktopPage, signIn, signOut, startServer, type BrowserPage, type E2EServer } from './harness.js';

/** A multipart mail's parts stay quoted-printable in ReceivedMail.text. */

describeBrowser('accounts: invitation, forgot and choose password', () => {
  let server: E2EServer;
  let browser: Browser;
  let smtp: TestSmtp;
  const opened: BrowserPage[] = [];

  async function open(): Promise<BrowserPage> {
    const bp = await openDesktopPage(browser, server.url);
    opened.push(bp);
    onTestFailed(() => {
      if (bp.problems.length > 0) console.error(`[page ${bp.page.url()}]\n${bp.problems.join('\n')}`);
    });
    return bp;
  }

  beforeAll(async () => {
    smtp = await startTestSmtp();
    server = await startServer({ SMTP_URL: smtp.url, PUBLIC_URL: 'http://rollbook.test' });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    for (const bp of opened) await bp.context.close().catch(() => {});
    await browser?.close();
    await server?.close();
    await smtp?.close();
  });

  it('an admin creates a user without a password, hands over the invitation link, and the user chooses a password', async () => {
    const { page } = await open();
    await signIn(page, ADMIN.username, ADMIN.password);
    await page.getByTestId('admin-home').waitFor();
    await page.goto('/admin/users');
    await page.getByTestId('new-user').click();
    const dialog = page.getByRole('dialog', { name: 'New user' });
    await dialog.getByRole('combobox', { name: 'Role' }).selectOption('teacher');
    await dialog.getByRole('textbox', { name: 'Name', exact: true }).fill('Ivy Invited');
    await dialog.getByRole('textbox', { name: 'Username', exact: true }).fill('ivy');
    await dialog.getByTestId('user-form-submit').click();
    const url = await page.getByTestId('invitation-url').inputValue();
    expect(url).toMatch(/^http:\/\/rollbook\.test\/choose-password\?token=/);
    await page.getByRole('button', { name: 'Done' }).click();

    // The Invite action on the list gives a fresh link (the first one stops working).
    await page.getByTestId('invite-ivy').click();
    const second = await page.getByTestId('invitation-url').inputValue();
    expect(second).not.toBe(url);
    await page.getByRole('button', { name: 'Done' }).click();
    await signOut(page);

    await page.goto(new URL(second).pathname + new URL(second).search);
    await page.getByRole('textbox', { name: 'New password', exact: true }).fill('ivy-chosen-pass');
    await page.getByRole('textbox', { name: 'Repeat password', exact: true }).fill('ivy-chosen-pass');
    await page.getByTestId('choose-password-submit').click();
    await page.getByTestId('password-chosen').waitFor();

    await signIn(page, 'ivy', 'ivy-chosen-pass');
    await page.getByTestId('teacher-home').waitFor();
    await signOut(page);

    // A used link says so.
    await page.goto(new URL(second).pathname + new URL(second).search);
    await page.getByRole('textbox', { name: 'New password', exact: true }).fill('another-pass-1');
    await page.getByRole('textbox', { name: 'Repeat password', exact: true }).fill('another-pass-1');
    await page.getByTestId('choose-password-submit').click();
    await page.getByTestId('choose-password-error').waitFor();
  });

  it('forgot password: the link on the sign-in page, the mail, a new password', async () => {
    const admin = await server.app.inject({ method: 'POST', url: '/api/auth/login', payload: ADMIN });
    const created = await server.app.inject({
      method: 'POST',
      url: '/api/users',
      headers: { authorization: `Bearer ${admin.json().accessToken}` },
      payload: { role: 'student', username: 'fay', name: 'Fay Forgetful', email: 'fay@school.test', studentNumber: 'F-1', password: 'fay-old-password' },
    });
    expect(created.statusCode, created.body).toBe(201);

    const { page } = await open();
    await page.goto('/login');
    await page.getByTestId('forgot-link').click();
    // The sign-in page has a "Username or email" box too, and stays on screen while the forgot page's
    // code loads: fill the one in the forgot form, not the one about to go away.
    await page.getByTestId('forgot-form').getByRole('textbox', { name: 'Username or email', exact: true }).fill('fay@school.test');
    await page.getByTestId('forgot-submit').click();
    await page.getByTestId('forgot-sent').waitFor();

    const mail = await smtp.waitFor((m) => m.to.includes('fay@school.test'), 'reset mail');
    const link = /http:\/\/rollbook\.test\/choose-password\?token=[A-Za-z0-9_%-]+/.exec(mail.text)![0];
    await page.goto(new URL(link).pathname + new URL(link).search);
    await page.getByRole('textbox', { name: 'New password', exact: true }).fill('fay-new-password');
    await page.getByRole('textbox', { name: 'Repeat password', exact: true }).fill('fay-new-password');
    await page.getByTestId('choose-password-submit').click();
    await page.getByTestId('password-chosen').waitFor();
    await signIn(page, 'fay', 'fay-new-password');
    await page.getByTestId('student-home').waitFor();
  });
});
