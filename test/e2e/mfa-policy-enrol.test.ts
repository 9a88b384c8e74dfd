import type { Browser, Page } from 'playwright-core';
import { Totp } from '../../src/auth/mfa/totp';
import { systemClock } from '../../src/lib/clock';
import { launchChromium, screenshot, watchPage, type PageWatch } from './support/browser';
import { startE2eServers, type E2eServers } from './support/servers';

/** The MFA policy in a real browser: a user without a factor enrols an authenticator app before anything else. */
describe('enrolling an authenticator app when the policy requires it', () => {
  let servers: E2eServers;
  let browser: Browser;
  let page: Page;
  let watch: PageWatch;

  beforeAll(async () => {
    servers = await startE2eServers();
    await servers.deps.mfaPolicy.set({ everyone: true, roles: [] });
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 390, height: 844 } })).newPage();
    watch = watchPage(page);
  });

  afterAll(async () => {
    await browser?.close();
    await servers?.close();
  });

  it('goes from the password to the enrol step, shows the key and a QR code, and signs in once a code confirms it', async () => {
    await page.goto(`${servers.appUrl}/login`);
    await page.getByLabel('Username').fill('demo');
    await page.getByLabel('Password').fill('demo-password');
    await Promise.all([page.waitForURL(`${servers.appUrl}/login/enrol`), page.getByRole('button', { name: 'Sign in' }).click()]);

    await page.getByRole('button', { name: 'Add an authenticator app' }).click();
    await page.locator('#totp-setup').waitFor({ state: 'visible' });
    expect(await page.locator('#totp-qr').getAttribute('src')).toMatch(/^data:image\/png;base64,/);
    const secret = (await page.locator('#totp-secret').textContent()) ?? '';
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    await screenshot(page, 'mfa-03-enrol-totp');

    // The browser runs on the real clock, so the code does too (±1 step is accepted).
    await page.getByLabel('The code your app shows now').fill(new Totp(systemClock, 'test').codeAt(secret));
    await page.getByRole('button', { name: 'Confirm' }).click();
    await page.locator('#recovery-codes').waitFor({ state: 'visible' });
    expect(await page.locator('#totp-secret').textContent()).toBe('');
    await Promise.all([page.waitForURL(`${servers.appUrl}/dashboard`), page.getByRole('button', { name: 'Continue to the dashboard' }).click()]);
    await page.locator('#mfa-factors li', { hasText: 'Authenticator app: Authenticator app' }).waitFor();
    await expect(page.locator('#mfa-recovery-left').textContent()).resolves.toBe('10 recovery code(s) left.');
  });

  it('ran without a CSP violation or a script error', () => {
    expect(watch.problems).toEqual([]);
  });
});
