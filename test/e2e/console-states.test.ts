import type { BrowserContext, Page } from 'playwright-core';
import { SIMULATOR_SUBSCRIPTIONS } from '../../src/simulator';
import { expectAccessible } from './support/accessibility';
import { screenshot, unexpectedProblems, watchPage, type PageWatch } from './support/browser';
import { sendConsoleCall, signInThroughTheForm } from './support/pages';
import { useServersAndBrowser } from './support/servers';

/**
 * The API console and the session in every state a person meets: a slow call (elapsed time, cancel), a
 * Fortellis problem (title, words, who must act, code, Retry-After and a retry), invalid JSON, a delete,
 * copying, headers and history; the session ending under the open page, and the warning before the idle
 * timeout. Each state is checked with axe-core and photographed.
 */
describe('the API console and the session, state by state', () => {
  const e2e = useServersAndBrowser();
  let context: BrowserContext;
  let page: Page;
  let watch: PageWatch;
  /** Proxied calls the page made, to prove that "not sent" means not sent. */
  let proxiedCalls = 0;

  beforeAll(async () => {
    // A second store, so the store switcher is on the page.
    await e2e.servers.deps.users.link('demo', SIMULATOR_SUBSCRIPTIONS.sunrise, 'Sunrise Motors');
  });

  async function openSignedIn(): Promise<void> {
    context = await e2e.browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: e2e.servers.appUrl });
    page = await context.newPage();
    watch = watchPage(page);
    page.on('request', (request) => {
      if (new URL(request.url()).pathname.startsWith('/api/fortellis/')) proxiedCalls += 1;
    });
    await signInThroughTheForm(page, e2e.servers.appUrl);
  }

  beforeEach(openSignedIn);

  afterEach(async () => {
    e2e.servers.sim.simulator.clearFaults();
    expect(unexpectedProblems(watch)).toEqual([]);
    await context.close();
  });

  const text = (selector: string) => page.locator(selector).textContent();
  /** Waits until the live region says exactly `sentence` (it speaks a moment after the change). */
  const announced = (sentence: string) => page.locator('#api-announce').filter({ hasText: new RegExp(`^${sentence.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) }).waitFor({ state: 'attached' });

  it('shows a slow call running, with the time so far, and clears the previous answer', async () => {
    expect((await sendConsoleCall(page)).status).toBe('200');
    e2e.servers.sim.simulator.addFault({ target: 'api', delayMs: 2500, count: 1, pathPrefix: '/service/v3/appointments' });
    await page.locator('#api-send').click();
    await page.locator('#api-progress').waitFor({ state: 'visible' });
    // The old answer is gone at once: nothing on screen belongs to an earlier call.
    expect(await page.locator('#api-result').isVisible()).toBe(false);
    await expect(text('#api-progress-text')).resolves.toBe('Calling GET /service/v3/appointments/…');
    await page.locator('#api-elapsed').filter({ hasNotText: /^0\.[0-4] s$/ }).waitFor();
    expect(await page.locator('#api-send').isDisabled()).toBe(true);
    await announced('Calling GET /service/v3/appointments/.');
    await screenshot(page, '30-console-waiting');
    await expectAccessible(page, 'console: a call running');
    await page.locator('#api-result').waitFor({ state: 'visible' });
    expect(await page.locator('#api-progress').isVisible()).toBe(false);
    await expect(text('#api-status')).resolves.toBe('200');
  });

  it('cancels a slow call, says it did, and lets the next one go', async () => {
    e2e.servers.sim.simulator.addFault({ target: 'api', delayMs: 30_000, count: 1, pathPrefix: '/service/v3/appointments' });
    await page.locator('#api-send').click();
    await page.locator('#api-progress').waitFor({ state: 'visible' });
    await page.locator('#api-cancel').click();
    await page.locator('#api-state-note').waitFor({ state: 'visible' });
    await expect(text('#api-state-note')).resolves.toMatch(/^Cancelled after \d+\.\d s: no answer is shown\.$/);
    await expect(text('#api-status')).resolves.toBe('cancelled');
    await expect(text('#api-output')).resolves.toBe('(no answer)');
    // Focus goes back to Send (the Cancel button it was on is hidden now).
    expect(await page.evaluate<string>('document.activeElement.id')).toBe('api-send');
    await screenshot(page, '31-console-cancelled');
    expect((await sendConsoleCall(page)).status).toBe('200');
  });

  it('explains a Fortellis problem: title, words, who must act, the code, and the JSON underneath', async () => {
    e2e.servers.sim.simulator.addFault({ target: 'api', status: 503, code: 'TARGET-SYSTEM-UNREACHABLE', count: 1 });
    const answer = await sendConsoleCall(page);
    expect(answer.status).toBe('503');
    await expect(text('#api-problem-title')).resolves.toBe('Fortellis answered TARGET-SYSTEM-UNREACHABLE');
    await expect(text('#api-problem-detail')).resolves.toMatch(/\w+/);
    await expect(text('#api-problem-party')).resolves.toMatch(/^The developer of the API you called/);
    await expect(text('#api-problem-code')).resolves.toBe('TARGET-SYSTEM-UNREACHABLE');
    expect(JSON.parse(answer.output)).toMatchObject({ status: 503, fortellisCode: 'TARGET-SYSTEM-UNREACHABLE', party: 'api-developer' });
    // Long lines wrap: the body never needs sideways scrolling.
    expect(await page.evaluate<boolean>('(() => { const o = document.getElementById("api-output"); return o.scrollWidth <= o.clientWidth; })()')).toBe(true);
    // The live region says a sentence, never the JSON body.
    await announced(`Failed: 503 Service Unavailable, Fortellis answered TARGET-SYSTEM-UNREACHABLE, in ${(await text('#api-duration'))!.replace(' ms', '')} ms.`);
    expect(await page.locator('#api-result').getAttribute('aria-live')).toBeNull();
    await screenshot(page, '32-console-problem');
    await expectAccessible(page, 'console: a Fortellis problem');
  });

  it('says this app answered (no party) for the app’s own problems', async () => {
    await e2e.servers.deps.users.create({ username: 'no-dealer', passwordHash: await e2e.servers.deps.passwords.hash('no-dealer-password') });
    await context.clearCookies();
    await signInThroughTheForm(page, e2e.servers.appUrl, 'no-dealer', 'no-dealer-password');
    const answer = await sendConsoleCall(page);
    expect(answer.status).toBe('403');
    await expect(text('#api-problem-title')).resolves.toBe('No dealer selected');
    await expect(text('#api-problem-party')).resolves.toBe('This app answered, not Fortellis: the explanation above says what to do.');
    expect(await page.locator('#api-problem dd.fortellis-code').isVisible()).toBe(false);
  });

  it('honours Retry-After: the retry button waits, then sends the call again', async () => {
    // Fortellis' identity server is down while the app needs a new token: the app says when to retry.
    e2e.servers.sim.simulator.expireTokens();
    e2e.servers.sim.simulator.addFault({ target: 'token', status: 503 });
    const failed = await sendConsoleCall(page);
    expect(Number(failed.status)).toBeGreaterThanOrEqual(500);
    await page.locator('#api-retry-row').waitFor({ state: 'visible' });
    await expect(text('#api-retry-text')).resolves.toMatch(/The server asked to wait \d+ s before trying again/);
    await screenshot(page, '33-console-retry-after');
    e2e.servers.sim.simulator.clearFaults();
    // Waiting for a real deadline is unavoidable here (the server's Retry-After); poll for it, capped.
    await page.locator('#api-retry:enabled').waitFor({ timeout: 30_000 });
    const answered = page.waitForResponse((r) => new URL(r.url()).pathname.startsWith('/api/fortellis/'));
    await page.locator('#api-retry').click();
    await answered;
    await page.locator('#api-send:enabled').waitFor();
    await expect(text('#api-status')).resolves.toBe('200');
  });

  it('refuses invalid JSON in words, beside the field, and sends nothing', async () => {
    expect((await sendConsoleCall(page)).status).toBe('200');
    await page.locator('#api-preset').selectOption('create-appointment');
    await page.locator('#api-body').fill('{"dateTime": ');
    const before = proxiedCalls;
    await page.locator('#api-send').click();
    await page.locator('#api-body-error').waitFor({ state: 'visible' });
    await expect(text('#api-body-error')).resolves.toMatch(/^Not sent: the body is not valid JSON \(.+\)\. Correct it, or empty it to send no body\.$/);
    expect(await page.locator('#api-body').getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('#api-body').getAttribute('aria-describedby')).toBe('api-body-error');
    // The earlier answer is cleared: it is not this call's.
    expect(await page.locator('#api-result').isVisible()).toBe(false);
    expect(proxiedCalls).toBe(before);
    await screenshot(page, '34-console-invalid-json');
    await expectAccessible(page, 'console: invalid JSON');
    await page.locator('#api-body').fill('{}');
    expect(await page.locator('#api-body-error').isVisible()).toBe(false);
  });

  it('creates and deletes an appointment, then says it is gone and what a second delete needs', async () => {
    await page.locator('#api-preset').selectOption('create-appointment');
    const created = await sendConsoleCall(page);
    expect(created.status).toBe('201');
    const id = JSON.parse(created.output).appointmentId as string;
    await page.locator('#api-preset').selectOption('delete-appointment');
    expect(await page.locator('#api-path').inputValue()).toBe(`/service/v3/appointments/${id}`);
    const deleted = await sendConsoleCall(page);
    expect(deleted.status).toBe('204');
    expect(deleted.output).toBe('(no content)');
    await expect(text('#api-state-note')).resolves.toBe(`Appointment ${id} is deleted (204 No Content, no body: that is what a deletion answers). Create another one to delete again.`);
    await screenshot(page, '35-console-deleted');
    await page.locator('#api-preset').selectOption('list-appointments');
    await page.locator('#api-preset').selectOption('delete-appointment');
    await expect(text('#api-hint')).resolves.toBe('Create an appointment first, or replace {appointmentId} with an appointment id.');
  });

  it('copies the response, lists its headers, and keeps a short history to call again', async () => {
    for (const preset of ['list-vehicles', 'ping', 'list-appointments', 'appointments-page-2', 'ping', 'list-vehicles']) {
      await page.locator('#api-preset').selectOption(preset);
      expect((await sendConsoleCall(page)).status).toBe('200');
    }
    await page.locator('#api-copy').click();
    await page.locator('#api-copy-status').filter({ hasText: 'Copied.' }).waitFor();
    expect(await page.evaluate<string>('navigator.clipboard.readText()')).toBe(await text('#api-output'));

    await page.locator('#api-headers summary').click();
    const headers = (await text('#api-headers-list')) ?? '';
    expect(headers).toContain('content-type');
    expect(headers).toContain('request-id');
    expect(headers.toLowerCase()).not.toContain('set-cookie');

    const history = page.locator('#api-history li');
    await expect(history.count()).resolves.toBe(5);
    await expect(history.first().textContent()).resolves.toMatch(/^GET \/sales\/inventory\/v1\/merchandisable-vehicles\/ → 200 in \d+ ms · /);
    await history.nth(2).locator('button').click();
    expect(await page.locator('#api-path').inputValue()).toBe('/service/v3/appointments/?page=2&pageSize=5');
    expect(await page.evaluate<string>('document.activeElement.id')).toBe('api-send');
    await screenshot(page, '36-console-headers-history');
    await expectAccessible(page, 'console: headers open, history');
  });

  it('says so when the session ends under the open page, and signs in again back to it', async () => {
    const other = await context.newPage();
    await other.goto(`${e2e.servers.appUrl}/dashboard`);
    await Promise.all([other.waitForURL(/\/login/), other.getByRole('button', { name: /Sign out/ }).click()]);
    await other.close();

    await page.locator('#api-send').click();
    await page.locator('#session-ended').waitFor({ state: 'visible' });
    await expect(text('#session-ended-text')).resolves.toMatch(/^Your session has ended/);
    // No raw 401 JSON, and the header no longer offers "Sign out (demo)".
    expect(await page.locator('#api-result').isVisible()).toBe(false);
    expect(await page.locator('.account').textContent()).not.toContain('Sign out');
    expect(await page.locator('#api-send').isDisabled()).toBe(true);
    await announced('Not sent: your session has ended. Sign in again to carry on.');
    await screenshot(page, '37-dashboard-session-ended');
    await expectAccessible(page, 'dashboard: session ended');

    await Promise.all([page.waitForURL(/\/login\?reason=session-ended&returnTo=%2Fdashboard$/), page.locator('#session-sign-in').click()]);
    await expect(text('#login-notice')).resolves.toMatch(/^Your session ended/);
    await screenshot(page, '38-login-session-ended');
    await expectAccessible(page, 'login: session ended');
    await signInAgain();
  });

  it('explains a store switch after the session ended, instead of a bare sign-in page', async () => {
    const other = await context.newPage();
    await other.goto(`${e2e.servers.appUrl}/dashboard`);
    await Promise.all([other.waitForURL(/\/login/), other.getByRole('button', { name: /Sign out/ }).click()]);
    await other.close();

    await page.locator('#store-select').selectOption(SIMULATOR_SUBSCRIPTIONS.sunrise);
    await Promise.all([page.waitForURL(/\/login\?reason=session-ended&returnTo=%2Fdashboard$/), page.locator('#store-switch').click()]);
    await expect(text('#login-notice')).resolves.toMatch(/^Your session ended/);
    await signInAgain();
  });

  it('warns before the idle timeout, and "Stay signed in" renews the session', async () => {
    await context.close();
    context = await e2e.browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    watch = watchPage(page);
    // The page's own clock: its timers run forward on request, as if the user had stepped away.
    await page.clock.install();
    const me = page.waitForResponse((r) => r.url().endsWith('/api/me'));
    await signInThroughTheForm(page, e2e.servers.appUrl);
    const idleMs = e2e.servers.config.session.idleTimeoutMs;
    await me;
    await page.clock.fastForward(idleMs - 60_000);
    await page.locator('#session-expiring').waitFor({ state: 'visible' });
    await expect(text('#session-expiring-text')).resolves.toMatch(/^Your session ends at .+ \(in about \d+ minutes?\) because nothing was sent for a while\.$/);
    await screenshot(page, '39-dashboard-session-expiring');
    await expectAccessible(page, 'dashboard: session about to time out');
    const renewed = page.waitForResponse((r) => r.url().endsWith('/api/me'));
    await page.locator('#session-extend').click();
    expect((await renewed).status()).toBe(200);
    await page.locator('#session-expiring').waitFor({ state: 'hidden' });
  });

  /** Signs in on the sign-in page the app sent us to, and expects to land back on the dashboard. */
  async function signInAgain(): Promise<void> {
    await page.getByLabel('Username').fill('demo');
    await page.getByLabel('Password').fill('demo-password');
    await Promise.all([page.waitForURL(`${e2e.servers.appUrl}/dashboard`), page.getByRole('button', { name: 'Sign in' }).click()]);
    await expect(text('#me-username')).resolves.toBe('demo');
  }
});
