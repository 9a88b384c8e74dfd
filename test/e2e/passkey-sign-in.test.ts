import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core';
import { launchChromium, screenshot, watchPage, type PageWatch } from './support/browser';
import { signInThroughTheForm } from './support/pages';
import { startE2eServers, type E2eServers } from './support/servers';

/**
 * A passkey enrolled and used in real Chromium, with its virtual authenticator (Chrome DevTools Protocol,
 * WebAuthn domain): a platform authenticator with user verification, as a laptop's fingerprint reader is.
 */
describe('passkeys in a real browser', () => {
  let servers: E2eServers;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let watch: PageWatch;
  let cdp: CDPSession;
  let authenticatorId: string;

  beforeAll(async () => {
    servers = await startE2eServers({ hostName: 'localhost' });
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    watch = watchPage(page);
    cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    ({ authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
    }));
  });

  afterAll(async () => {
    await browser?.close();
    await servers?.close();
  });

  it('enrols a passkey from the dashboard and shows the recovery codes once', async () => {
    await signInThroughTheForm(page, servers.appUrl);
    await page.locator('#mfa-factors li.muted', { hasText: 'No second factor yet.' }).waitFor();
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    await page.locator('#recovery-codes').waitFor({ state: 'visible' });
    const codes = ((await page.locator('#recovery-code-list').textContent()) ?? '').split('\n');
    expect(codes).toHaveLength(10);
    expect(codes[0]).toMatch(/^[a-z2-9]{5}-[a-z2-9]{5}$/);
    await page.locator('#mfa-factors li', { hasText: 'Passkey: Passkey' }).waitFor();
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    expect(credentials).toHaveLength(1);
    await screenshot(page, 'mfa-01-passkey-enrolled');
  });

  it('signs out, then signs in with the password and the passkey', async () => {
    await page.getByRole('button', { name: /Sign out/ }).click();
    await page.waitForURL(`${servers.appUrl}/login`);
    await page.getByLabel('Username').fill('demo');
    await page.getByLabel('Password').fill('demo-password');
    await Promise.all([page.waitForURL(`${servers.appUrl}/login/second-factor`), page.getByRole('button', { name: 'Sign in' }).click()]);
    await screenshot(page, 'mfa-02-second-step');
    // Half signed in: the API says so.
    expect(await page.evaluate<number>("fetch('/api/me', { headers: { Accept: 'application/json' } }).then((r) => r.status)")).toBe(401);

    await Promise.all([page.waitForURL(`${servers.appUrl}/dashboard`), page.getByRole('button', { name: 'Use your passkey' }).click()]);
    await expect(page.locator('#me-username').textContent()).resolves.toBe('demo');
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    expect(credentials[0]!.signCount).toBeGreaterThan(0);
    expect(servers.logs.entries().some((line) => line.event === 'auth.sign-in.succeeded' && line.secondFactor === 'passkey')).toBe(true);
  });

  it('ran without a CSP violation or a script error', () => {
    expect(watch.problems).toEqual([]);
  });
});
