import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium, screenshot, watchPage, type PageWatch } from './support/browser';
import { overflowsHorizontally, sendConsoleCall, signInThroughTheForm } from './support/pages';
import { startE2eServers, type E2eServers } from './support/servers';

describe('the comparison page in a real browser', () => {
  let servers: E2eServers;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let watch: PageWatch;

  beforeAll(async () => {
    servers = await startE2eServers();
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    watch = watchPage(page);
  });

  afterAll(async () => {
    await browser?.close();
    await servers?.close();
  });

  it('renders both flows side by side, point by point, with a diagram of each', async () => {
    await page.goto(`${servers.appUrl}/compare`);
    const headers = await page.locator('table.compare thead th').allTextContents();
    expect(headers[1]).toContain('Implicit flow');
    expect(headers[2]).toContain('Recommended flow');
    const points = await page.locator('table.compare tbody th[scope="row"]').allTextContents();
    expect(points).toEqual([
      'Who signs the user in',
      'Where the token is minted and held',
      'Who can see it',
      'Lifetime and renewal',
      'Where the Subscription-Id comes from',
      'CSRF exposure',
      'XSS exposure',
      'What happens at 3600 s',
      'What a thief can do',
      'What Fortellis recommends',
    ]);
    for (const diagram of ['#implicit-flow-diagram', '#recommended-flow-diagram']) {
      const box = await page.locator(diagram).boundingBox();
      expect(box?.width).toBeGreaterThan(600);
      expect(box?.height).toBeGreaterThan(300);
    }
    await expect(page.getByRole('img', { name: /The implicit flow/ }).count()).resolves.toBe(1);
    await expect(page.getByRole('img', { name: /The recommended flow/ }).count()).resolves.toBe(1);
    await expect(page.locator('#live-facts-signed-out').isVisible()).resolves.toBe(true);
    await screenshot(page, '10-compare-signed-out');
  });

  it('shows live facts of the viewer’s own session once signed in', async () => {
    await signInThroughTheForm(page, servers.appUrl);
    const call = await sendConsoleCall(page);
    expect(call.status).toBe('200');

    await page.goto(`${servers.appUrl}/compare`);
    const lastRequestId = page.locator('#compare-last-request-id');
    // Filled in by the page's script from /api/me: wait for it rather than for a fixed time.
    await lastRequestId.filter({ hasText: call.requestId }).waitFor();
    await expect(lastRequestId.textContent()).resolves.toBe(call.requestId);
    await expect(page.locator('#compare-username').textContent()).resolves.toBe('demo');
    await expect(page.locator('#compare-subscription').textContent()).resolves.toBe('test');
    await expect(page.locator('#compare-browser-tokens').textContent()).resolves.toMatch(/^None\. document\.cookie is empty to scripts/);
    await expect(page.locator('#compare-session-left').textContent()).resolves.toMatch(/^\(in \d+ min \d+ s/);
    await screenshot(page, '11-compare-signed-in');
  });

  it('reads well on a phone-sized screen', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.reload();
    await screenshot(page, '12-compare-phone');
    await expect(overflowsHorizontally(page)).resolves.toBe(false);
  });

  it('ran without script errors or Content-Security-Policy violations', () => {
    expect(watch.problems).toEqual([]);
  });
});
