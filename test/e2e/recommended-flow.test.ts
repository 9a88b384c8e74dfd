import type { Browser, BrowserContext, Page } from 'playwright-core';
import { JWT_PATTERN, launchChromium, screenshot, watchPage, type PageWatch } from './support/browser';
import { overflowsHorizontally, scriptReadableStorage, sendConsoleCall, signInThroughTheForm } from './support/pages';
import { startE2eServers, type E2eServers } from './support/servers';

describe('the recommended flow in a real browser', () => {
  let servers: E2eServers;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let watch: PageWatch;
  /** Every same-origin answer the browser received (headers and body), to look for tokens in. */
  const received: string[] = [];

  beforeAll(async () => {
    servers = await startE2eServers();
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    watch = watchPage(page);
    page.on('response', async (response) => {
      if (!response.url().startsWith(servers.appUrl)) return;
      const body = await response.text().catch(() => '');
      received.push(JSON.stringify(await response.allHeaders()) + body);
    });
  });

  afterAll(async () => {
    await browser?.close();
    await servers?.close();
  });

  it('signs the demo user in and shows the test dealer on the dashboard', async () => {
    await page.goto(`${servers.appUrl}/login`);
    await screenshot(page, '01-login');
    await signInThroughTheForm(page, servers.appUrl);
    await expect(page.locator('#me-username').textContent()).resolves.toBe('demo');
    await expect(page.locator('#me-dealer').textContent()).resolves.toContain('Test Dealer');
    await expect(page.locator('#me-subscription').textContent()).resolves.toBe('test');
  });

  it('lists the test dealer’s appointments in the API console, with status, time and Request-Id', async () => {
    const answer = await sendConsoleCall(page);
    expect(answer.status).toBe('200');
    expect(answer.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(answer.output).toContain('"appointmentId": "100201"');
    expect(answer.output).toContain('Oil and filter change');
    await expect(page.locator('#api-duration').textContent()).resolves.toMatch(/^\d+ ms$/);
    await screenshot(page, '02-dashboard-api-console');
  });

  it('lists vehicles and pings the CRM with the ready-made calls', async () => {
    await page.locator('#api-preset').selectOption('list-vehicles');
    const vehicles = await sendConsoleCall(page);
    expect(vehicles.status).toBe('200');
    expect(vehicles.output).toContain('Camry');

    await page.locator('#api-preset').selectOption('ping');
    const ping = await sendConsoleCall(page);
    expect(ping.status).toBe('200');
  });

  it('creates an appointment and deletes it again, sending the CSRF header on both', async () => {
    const unsafeCalls: Array<{ method: string; csrf: string | undefined }> = [];
    const record = (request: import('playwright-core').Request) => {
      if (request.url().includes('/api/fortellis/') && request.method() !== 'GET') {
        unsafeCalls.push({ method: request.method(), csrf: request.headers()['x-csrf-token'] });
      }
    };
    page.on('request', record);

    await page.locator('#api-preset').selectOption('create-appointment');
    await expect(page.locator('#api-method').inputValue()).resolves.toBe('POST');
    const created = await sendConsoleCall(page);
    expect(created.status).toBe('201');
    const appointmentId = (JSON.parse(created.output) as { appointmentId: string }).appointmentId;

    await page.locator('#api-preset').selectOption('delete-appointment');
    await expect(page.locator('#api-path').inputValue()).resolves.toBe(`/service/v3/appointments/${appointmentId}`);
    const deleted = await sendConsoleCall(page);
    expect(deleted.status).toBe('204');
    await expect(page.locator('#api-output').textContent()).resolves.toBe('(no content)');

    page.off('request', record);
    expect(unsafeCalls.map((call) => call.method)).toEqual(['POST', 'DELETE']);
    for (const call of unsafeCalls) expect(call.csrf).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('answers a path typed by hand, and says so when the body is not JSON', async () => {
    await page.locator('#api-method').selectOption('GET');
    await page.locator('#api-path').fill('/service/v3/appointments/100202');
    await expect(page.locator('#api-preset').inputValue()).resolves.toBe('custom');
    const answer = await sendConsoleCall(page);
    expect(answer.status).toBe('200');
    expect(answer.output).toContain('Replace Air Filter');

    await page.locator('#api-method').selectOption('POST');
    await page.locator('#api-path').fill('/service/v3/appointments/');
    await page.locator('#api-body').fill('{not json');
    await page.locator('#api-send').click();
    await expect(page.locator('#api-body-error').textContent()).resolves.toContain('not valid JSON');
  });

  it('leaves no token in cookies, web storage, the page or any answer after those calls', async () => {
    await expect(scriptReadableStorage(page)).resolves.toEqual({ cookie: '', local: '{}', session: '{}' });
    await expect(page.content()).resolves.not.toMatch(JWT_PATTERN);

    const serverToken = servers.deps.tokens.peek();
    expect(serverToken?.value).toMatch(JWT_PATTERN);
    expect(received.length).toBeGreaterThan(5);
    for (const answer of received) {
      expect(answer).not.toMatch(JWT_PATTERN);
      expect(answer).not.toContain(serverToken!.value);
    }
    const cookies = await context.cookies(servers.appUrl);
    const session = cookies.find((cookie) => cookie.name === servers.config.session.cookieName);
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Lax' });
  });

  it('looks tidy on a phone-sized screen', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.reload();
    await screenshot(page, '03-dashboard-phone');
    await expect(overflowsHorizontally(page)).resolves.toBe(false);
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('signs out, after which the API and the dashboard refuse the browser', async () => {
    await page.goto(`${servers.appUrl}/dashboard`);
    await Promise.all([page.waitForURL(`${servers.appUrl}/login`), page.getByRole('button', { name: /Sign out/ }).click()]);
    const status = await page.evaluate(async () => (await fetch('/api/me')).status);
    expect(status).toBe(401);
    await page.goto(`${servers.appUrl}/dashboard`);
    expect(page.url()).toBe(`${servers.appUrl}/login?reason=sign-in-first&returnTo=%2Fdashboard`);
    const cookies = await context.cookies(servers.appUrl);
    expect(cookies.find((cookie) => cookie.name === servers.config.session.cookieName)).toBeUndefined();
  });

  it('shows a tidy error page for an address that does not exist', async () => {
    const response = await page.goto(`${servers.appUrl}/no-such-page`);
    expect(response?.status()).toBe(404);
    await expect(page.locator('h1').textContent()).resolves.toContain('Not found');
    await screenshot(page, '04-error-page');
  });

  it('ran every page without script errors or Content-Security-Policy violations', () => {
    expect(watch.problems).toEqual([]);
  });
});
