import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it, onTestFailed } from 'vitest';
import {
  ADMIN,
  describeBrowser,
  launchBrowser,
  openDesktopPage,
  openPhonePage,
  signIn,
  signOut,
  startServer,
  type BrowserPage,
  type E2EServer,
} from './harness.js';

describeBrowser('web app foundation', () => {
  let server: E2EServer;
  let browser: Browser;
  const opened: BrowserPage[] = [];

  /** Opens a page and prints what went wrong in the browser if the test fails. */
  async function open(kind: 'desktop' | 'phone'): Promise<BrowserPage> {
    const bp = kind === 'phone' ? await openPhonePage(browser, server.url) : await openDesktopPage(browser, server.url);
    opened.push(bp);
    onTestFailed(() => {
      if (bp.problems.length > 0) console.error(`[${kind} page ${bp.page.url()}]\n${bp.problems.join('\n')}`);
    });
    return bp;
  }

  beforeAll(async () => {
    server = await startServer();
    browser = await launchBrowser();
  });

  afterAll(async () => {
    for (const bp of opened) await bp.context.close().catch(() => {});
    await browser?.close();
    await server?.close();
  });

  it('admin creates a student, signs out, and the student signs in to the student home', async () => {
    const { page } = await open('desktop');

    // Signed out, any page leads to the sign-in form.
    await page.goto('/admin/users');
    await page.getByTestId('login-form').waitFor();

    await signIn(page, ADMIN.username, ADMIN.password);
    // Sent back to the page that asked for sign-in.
    await page.getByTestId('users-page').waitFor();
    await page.getByTestId('nav-home').click();
    await page.getByTestId('admin-home').waitFor();
    expect(await page.getByTestId('admin-home').textContent()).toContain('Welcome, Administrator');

    await page.getByTestId('nav-users').click();
    await page.getByTestId('users-page').waitFor();
    await page.getByTestId(`user-row-${ADMIN.username}`).waitFor();

    await page.getByTestId('new-user').click();
    const dialog = page.getByRole('dialog', { name: 'New user' });
    await dialog.getByRole('combobox', { name: 'Role' }).selectOption('student');
    await dialog.getByRole('textbox', { name: 'Name', exact: true }).fill('Sam Student');
    await dialog.getByRole('textbox', { name: 'Username', exact: true }).fill('sam');
    await dialog.getByRole('textbox', { name: 'Email', exact: true }).fill('sam@example.edu');
    await dialog.getByRole('textbox', { name: 'Student number', exact: true }).fill('S1001');
    await dialog.getByRole('textbox', { name: 'Password', exact: true }).fill('student-pass-1');
    await dialog.getByTestId('user-form-submit').click();
    await dialog.waitFor({ state: 'hidden' });

    const row = page.getByTestId('user-row-sam');
    await row.waitFor();
    expect(await row.textContent()).toContain('S1001');

    // A second user with the same username is refused, and the form says why on the field.
    await page.getByTestId('new-user').click();
    await dialog.getByRole('combobox', { name: 'Role' }).selectOption('student');
    await dialog.getByRole('textbox', { name: 'Name', exact: true }).fill('Sam Again');
    await dialog.getByRole('textbox', { name: 'Username', exact: true }).fill('sam');
    await dialog.getByRole('textbox', { name: 'Student number', exact: true }).fill('S1002');
    await dialog.getByTestId('user-form-submit').click();
    await dialog.locator('.mantine-InputWrapper-error, [data-testid="user-form-error"]').first().waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });

    await signOut(page);

    await signIn(page, 'sam', 'student-pass-1');
    const home = page.getByTestId('student-home');
    await home.waitFor();
    expect(await home.textContent()).toContain('Welcome, Sam Student');
    // A student has no Users entry and cannot open the admin page.
    expect(await page.getByTestId('nav-users').count()).toBe(0);
    await page.goto('/admin/users');
    await page.getByTestId('forbidden').waitFor();
  });

  it('a wrong password is explained on the sign-in page', async () => {
    const { page } = await open('desktop');
    await page.goto('/login');
    await signIn(page, ADMIN.username, 'not-the-password');
    const alert = page.getByTestId('login-error');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/wrong|incorrect|invalid/i);
  });

  it('the student home and navigation work on a phone', async () => {
    const { page } = await open('phone');
    await signIn(page, 'sam', 'student-pass-1');
    await page.getByTestId('student-home').waitFor();
    // The navbar hides behind the burger at phone width.
    const homeLink = page.getByTestId('nav-home');
    const onScreen = async () => {
      const box = await homeLink.boundingBox();
      return box !== null && box.x >= 0 && box.x + box.width <= 390;
    };
    expect(await onScreen()).toBe(false);
    await page.getByTestId('nav-burger').click();
    await expect.poll(onScreen).toBe(true);
    // Nothing is wider than the screen.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);

    await page.getByTestId('user-menu').click();
    await page.getByRole('menuitem', { name: 'Profile' }).click();
    await page.getByTestId('profile-page').waitFor();
    await page.getByRole('textbox', { name: 'Phone', exact: true }).fill('+44 7700 900123');
    await page.getByTestId('profile-save').click();
    await page.getByText('Your profile is saved.').waitFor();

    await page.goto('/no-such-page');
    await page.getByTestId('not-found').waitFor();
  });

  it('CSV import lists bad lines by number and imports nothing unless asked to', async () => {
    const { page } = await open('phone');
    await signIn(page, ADMIN.username, ADMIN.password);
    await page.getByTestId('admin-home').waitFor();
    await page.goto('/admin/users');
    await page.getByTestId('users-page').waitFor();
    // At phone width users are cards, not a wide table.
    await page.getByTestId('users-cards').waitFor();

    await page.getByTestId('import-users').click();
    const dialog = page.getByRole('dialog', { name: 'Import users from CSV' });
    expect(await dialog.getByTestId('import-header').textContent()).toBe(
      'role,username,name,email,studentNumber,staffNumber,section,password,guardianEmail',
    );
    const csv = [
      'role,username,name,email,studentNumber,staffNumber,section,password',
      'student,ada,Ada Lovelace,ada@example.edu,S2001,,,ada-password-1',
      'wizard,merlin,Merlin,,,,,merlin-password-1',
    ].join('\n');
    await dialog.getByTestId('import-text').fill(csv);
    await dialog.getByTestId('import-submit').click();
    const errors = dialog.getByTestId('import-errors');
    await errors.waitFor();
    expect(await errors.textContent()).toContain('3');
    expect(await dialog.getByTestId('import-result').textContent()).toContain('Nothing was imported');

    await dialog.getByTestId('import-partial').check();
    await dialog.getByTestId('import-submit').click();
    await dialog.getByText('Created 1, updated 0').waitFor();
    await dialog.getByRole('button', { name: 'Close' }).first().click();
    await dialog.waitFor({ state: 'hidden' });

    await page.getByTestId('users-search').fill('lovelace');
    await page.getByTestId('user-row-sam').waitFor({ state: 'detached' });
    await page.getByTestId('user-row-ada').waitFor();
  });

  it('renews an expired access cookie silently, and sends a dead session to sign in', async () => {
    const { context, page } = await open('desktop');
    await signIn(page, ADMIN.username, ADMIN.password);
    await page.getByTestId('admin-home').waitFor();

    // The access cookie lives as long as the access token; without it the refresh cookie renews it.
    await context.clearCookies({ name: 'rb_access' });
    await page.getByTestId('nav-users').click();
    await page.getByTestId(`user-row-${ADMIN.username}`).waitFor();
    expect((await context.cookies()).some((c) => c.name === 'rb_access')).toBe(true);

    // With both cookies gone the next request cannot be renewed: back to sign-in, with the reason.
    await context.clearCookies();
    await page.getByTestId('nav-home').click();
    await page.getByTestId('admin-home').waitFor();
    await page.getByTestId('nav-users').click(); // refetches the user list: 401, refresh fails
    await page.getByTestId('login-form').waitFor();
    await page.getByText('Your session has ended').waitFor();
    await signIn(page, ADMIN.username, ADMIN.password);
    await page.getByTestId('users-page').waitFor();
  });

  it('first-run setup creates the administrator from the setup link', async () => {
    const fresh = await startServer({ ADMIN_USERNAME: '', ADMIN_PASSWORD: '' });
    try {
      const token = fresh.app.setupToken;
      expect(token).toBeTruthy();
      const { page } = await open('phone');
      await page.goto(`${fresh.url}/setup?token=${token}`);
      await page.getByTestId('setup-form').waitFor();
      await page.getByRole('textbox', { name: 'Your name', exact: true }).fill('Grace Admin');
      await page.getByRole('textbox', { name: 'Username', exact: true }).fill('grace');
      await page.getByRole('textbox', { name: 'Password', exact: true }).fill('grace-password-1');
      await page.getByRole('textbox', { name: 'Repeat password', exact: true }).fill('grace-password-1');
      await page.getByRole('button', { name: 'Create administrator' }).click();
      await page.getByTestId('admin-home').waitFor();
      expect(await page.getByTestId('admin-home').textContent()).toContain('Welcome, Grace Admin');

      // Once done, the setup page only points to sign-in.
      await page.goto(`${fresh.url}/setup?token=${token}`);
      await page.waitForURL(/\/(login)?$/);
    } finally {
      await fresh.close();
    }
  });

  it('offers student sign-up only when the server allows it', async () => {
    const { page } = await open('phone');
    await page.goto('/login');
    // The form says what the server answered about sign-up, so "no link" is not just "not loaded yet".
    await page.locator('[data-testid="login-form"][data-signup="off"]').waitFor();
    expect(await page.getByTestId('signup-link').count()).toBe(0);

    const withSignup = await startServer({ SIGNUP: 'students' });
    try {
      await page.goto(`${withSignup.url}/login`);
      await page.getByTestId('signup-link').click();
      await page.getByTestId('signup-form').waitFor();
      await page.getByRole('textbox', { name: 'Full name', exact: true }).fill('Lin Self');
      await page.getByRole('textbox', { name: 'Email', exact: true }).fill('lin@example.edu');
      await page.getByRole('textbox', { name: 'Student number', exact: true }).fill('S3001');
      await page.getByRole('textbox', { name: 'Username', exact: true }).fill('lin');
      await page.getByRole('textbox', { name: 'Password', exact: true }).fill('lin-password-1');
      await page.getByRole('textbox', { name: 'Repeat password', exact: true }).fill('lin-password-1');
      await page.getByRole('button', { name: 'Create account' }).click();
      await page.getByTestId('student-home').waitFor();
      expect(await page.getByTestId('student-home').textContent()).toContain('Welcome, Lin Self');
    } finally {
      await withSignup.close();
    }
  });
});
