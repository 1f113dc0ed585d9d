import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it, onTestFailed } from 'vitest';
import { startWebhookReceiver, verifyStandardWebhook, type WebhookReceiver } from '../support/webhook-receiver.js';
import { ADMIN, describeBrowser, launchBrowser, openDesktopPage, signIn, startServer, type BrowserPage, type E2EServer } from './harness.js';

describeBrowser('integrations (webhooks) page', () => {
  let server: E2EServer;
  let browser: Browser;
  let receiver: WebhookReceiver;
  const opened: BrowserPage[] = [];

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    // One attempt per delivery, so a failure is final at once and the Retry button is what brings it through.
    server = await startServer({ JOBS: '1', OUTBOX_POLL_MS: '200', OUTBOX_MAX_ATTEMPTS: '1', WEBHOOK_TIMEOUT_MS: '2000' });
    browser = await launchBrowser();
  });

  afterAll(async () => {
    for (const bp of opened) await bp.context.close().catch(() => {});
    await browser?.close();
    await server?.close();
    await receiver?.close();
  });

  it('an admin adds an endpoint, copies its secret, sees a test delivery arrive, and retries a failed one', async () => {
    const bp = await openDesktopPage(browser, server.url);
    opened.push(bp);
    onTestFailed(() => {
      if (bp.problems.length > 0) console.error(`[page ${bp.page.url()}]\n${bp.problems.join('\n')}`);
    });
    const { page } = bp;
    await page.goto('/');
    await signIn(page, ADMIN.username, ADMIN.password);
    await page.getByTestId('nav-integrations').click();
    await page.getByTestId('integrations-page').waitFor();
    await page.getByTestId('webhooks-empty').waitFor();

    // A bad URL is refused on the form, before anything is sent.
    await page.getByTestId('add-webhook').click();
    await page.getByTestId('webhook-url').fill('ftp://portal.example.edu/hook');
    await page.getByTestId('add-webhook-submit').click();
    await expect.poll(() => page.getByTestId('add-webhook-form').textContent()).toContain('http');
    await page.getByTestId('webhook-url').fill(receiver.url);
    await page.getByTestId('webhook-description').fill('Student portal');
    await page.getByTestId('add-webhook-submit').click();

    const secret = (await page.getByTestId('webhook-secret').textContent())?.trim() ?? '';
    expect(secret).toMatch(/^whsec_/);
    await page.getByTestId('webhook-secret-done').click();
    await page.getByTestId('webhook-secret-panel').waitFor({ state: 'detached' });
    const row = page.getByTestId('webhook-row');
    await expect.poll(() => row.getByTestId('webhook-url-cell').textContent()).toBe(receiver.url);
    // The secret is never shown again.
    expect(await page.content()).not.toContain(secret.slice(6));

    // Send test: the delivery shows up and turns delivered; the receiver verifies its signature.
    await row.getByTestId('send-test').click();
    const deliveries = row.getByTestId('delivery-row');
    await page.locator('[data-testid="delivery-row"][data-state="delivered"]').waitFor();
    expect(receiver.received).toHaveLength(1);
    expect(verifyStandardWebhook(secret, receiver.received[0].headers, receiver.received[0].body)).toBe(true);
    expect(await deliveries.first().getByTestId('delivery-last-status').textContent()).toBe('200');

    // The receiver breaks: the next test delivery fails (one attempt allowed) and says why.
    receiver.fallback = 500;
    await row.getByTestId('send-test').click();
    const failed = page.locator('[data-testid="delivery-row"][data-state="failed"]');
    await failed.waitFor();
    expect(await failed.getByTestId('delivery-last-status').textContent()).toBe('500');
    expect(await failed.getByTestId('delivery-last-error').textContent()).toContain('HTTP 500');

    // Fixed: Retry brings it through.
    receiver.fallback = 200;
    const failedId = await failed.getAttribute('data-delivery-id');
    await failed.getByTestId('retry-delivery').click();
    await page.locator(`[data-testid="delivery-row"][data-delivery-id="${failedId}"][data-state="delivered"]`).waitFor();
    expect(receiver.received).toHaveLength(3);
    expect(receiver.received[2].json.id).toBe(receiver.received[1].json.id);
    expect(bp.problems.filter((p) => !p.includes('Failed to load resource'))).toEqual([]);
  }, 90_000);
});
