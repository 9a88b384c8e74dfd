import type { BrowserContext, Page } from 'playwright-core';
import { DEMO_ADMIN } from '../../src/auth/demo-users';
import { expectAccessible } from './support/accessibility';
import { screenshot, unexpectedProblems, watchPage, type PageWatch } from './support/browser';
import { overflowsHorizontally, signInThroughTheForm } from './support/pages';
import { useServersAndBrowser } from './support/servers';

const PHONE = { width: 390, height: 844 };

/**
 * The admin pages in the states that used to mislead: Fortellis down (no success notice above the error, no
 * "unknown to Fortellis" for dealers it could not be asked about, no buttons that cannot work), two-step
 * dangerous actions, the create form after a refusal, a sign-in lockout lifted, the audit log's filters and
 * pages, and the users table on a phone.
 */
describe('the admin pages, state by state', () => {
  const e2e = useServersAndBrowser();
  let context: BrowserContext;
  let page: Page;
  let watch: PageWatch;

  async function openAsAdmin(viewport = { width: 1280, height: 900 }): Promise<void> {
    context = await e2e.browser.newContext({ viewport });
    page = await context.newPage();
    watch = watchPage(page);
    await signInThroughTheForm(page, e2e.servers.appUrl, DEMO_ADMIN.username, DEMO_ADMIN.password);
  }

  afterEach(async () => {
    e2e.servers.sim.simulator.clearFaults();
    expect(unexpectedProblems(watch)).toEqual([]);
    await context.close();
  });

  const text = (selector: string) => page.locator(selector).textContent();

  it('tells the truth while Fortellis cannot list subscriptions, and again once it can', async () => {
    await openAsAdmin();
    e2e.servers.sim.simulator.addFault({ target: 'api', status: 503, pathPrefix: '/v1/solution/subscriptions' });
    await page.goto(`${e2e.servers.appUrl}/admin/subscriptions`);
    await Promise.all([page.waitForURL(/\/admin\/subscriptions$/), page.getByRole('button', { name: 'Reload from Fortellis' }).click()]);
    expect(await page.locator('#admin-notice').count()).toBe(0);
    await expect(text('#subscriptions-problem')).resolves.toMatch(/^Fortellis could not list the subscriptions/);
    await expect(text('#subscriptions-table')).resolves.toContain('Unknown until Fortellis answers.');
    await screenshot(page, '40-admin-subscriptions-fortellis-down');
    await expectAccessible(page, 'admin subscriptions: Fortellis down');

    await page.getByRole('link', { name: 'Users' }).click();
    const demoRow = page.locator('tr[data-username="demo"]');
    await expect(demoRow.textContent()).resolves.toContain('status unknown: Fortellis unavailable');
    await expect(demoRow.textContent()).resolves.not.toContain('unknown to Fortellis');
    expect(await demoRow.getByRole('button', { name: 'Link', exact: true }).count()).toBe(0);
    await expect(demoRow.textContent()).resolves.toContain('Not now: Fortellis cannot confirm a subscription.');
    await screenshot(page, '41-admin-users-fortellis-down');
    await expectAccessible(page, 'admin users: Fortellis down');

    e2e.servers.sim.simulator.clearFaults();
    await page.getByRole('link', { name: 'Subscriptions' }).click();
    await Promise.all([page.waitForURL(/done=refreshed/), page.getByRole('button', { name: 'Reload from Fortellis' }).click()]);
    await expect(text('#admin-notice')).resolves.toBe('Subscriptions reloaded from Fortellis.');
    expect(await page.locator('#subscriptions-problem').count()).toBe(0);
  });

  it('keeps what was typed after a refusal, says what is wrong beside the field, then creates the user', async () => {
    await openAsAdmin();
    await page.goto(`${e2e.servers.appUrl}/admin/users`);
    await page.locator('#new-username').fill('Victim');
    await page.locator('#new-password').fill('short');
    await page.locator('#new-role').selectOption('admin');
    await page.getByRole('button', { name: 'Create user' }).click();
    await page.locator('#create-problems').waitFor();
    expect(await page.locator('#new-username').inputValue()).toBe('Victim');
    expect(await page.locator('#new-role').inputValue()).toBe('admin');
    // The password is never sent back to the page.
    expect(await page.locator('#new-password').inputValue()).toBe('');
    await expect(text('#new-password-error')).resolves.toBe('Password must be at least 8 characters.');
    expect(await page.locator('#new-password').getAttribute('aria-invalid')).toBe('true');
    await screenshot(page, '42-admin-create-refused');
    await expectAccessible(page, 'admin users: create form refused');

    await page.locator('#new-role').selectOption('user');
    await page.locator('#new-password').fill('victim-password');
    await Promise.all([page.waitForURL(/done=created/), page.getByRole('button', { name: 'Create user' }).click()]);
    await expect(text('#admin-notice')).resolves.toBe('User created.');
  });

  it('asks before a dangerous action: the first click only opens a red confirmation', async () => {
    await openAsAdmin();
    await page.goto(`${e2e.servers.appUrl}/admin/users`);
    const row = page.locator('tr[data-username="victim"]');
    const deactivate = row.locator('summary', { hasText: 'Deactivate' });
    // It looks dangerous: red text and a red border, not plain text.
    // (The project's TypeScript has no DOM library: the page's globals are reached through globalThis.)
    const colour = await deactivate.evaluate((el) => (globalThis as any).getComputedStyle(el).color as string);
    expect(colour).toBe('rgb(164, 22, 26)');
    await deactivate.click();
    expect((await e2e.servers.deps.users.findByUsername('victim'))!.active).toBe(true);
    await expect(row.locator('details[open] .confirm-panel').textContent()).resolves.toContain('victim is signed out everywhere now');
    await screenshot(page, '43-admin-confirm-deactivate');
    await expectAccessible(page, 'admin users: a confirmation open');
    await Promise.all([page.waitForURL(/done=deactivated/), row.getByRole('button', { name: 'Deactivate victim' }).click()]);
    expect((await e2e.servers.deps.users.findByUsername('victim'))!.active).toBe(false);

    // The same two steps for a password reset and an unlink.
    const victim = page.locator('tr[data-username="victim"]');
    await victim.locator('summary', { hasText: 'Reset password' }).click();
    await victim.getByLabel('New password for victim').fill('another-password');
    await Promise.all([page.waitForURL(/done=password-reset/), victim.getByRole('button', { name: 'Reset password of victim' }).click()]);
    const demo = page.locator('tr[data-username="demo"]');
    await demo.locator('summary', { hasText: 'Unlink' }).first().click();
    expect((await e2e.servers.deps.users.findByUsername('demo'))!.subscriptions).toHaveLength(1);
    await Promise.all([page.waitForURL(/done=unlinked/), demo.getByRole('button', { name: 'Unlink test from demo' }).click()]);
    expect((await e2e.servers.deps.users.findByUsername('demo'))!.subscriptions).toHaveLength(0);
    await e2e.servers.deps.users.link('demo', 'test', 'Test Dealer (Fortellis sample data)');
  });

  it('lifts a sign-in lockout in two steps, and the audit log shows the sign-ins and the unlock', async () => {
    await e2e.servers.deps.users.create({ username: 'locked-out', passwordHash: await e2e.servers.deps.passwords.hash('locked-out-password'), subscriptionId: 'test' });
    const guesser = await e2e.browser.newContext();
    const guess = await guesser.newPage();
    for (let i = 0; i < e2e.servers.config.signInLimits.maxFailuresPerUsername; i += 1) {
      await guess.goto(`${e2e.servers.appUrl}/login`);
      await guess.getByLabel('Username').fill('locked-out');
      await guess.getByLabel('Password').fill(`wrong-guess-${i}`);
      await Promise.all([guess.waitForLoadState(), guess.getByRole('button', { name: 'Sign in' }).click()]);
      await guess.locator('#login-error').waitFor();
    }
    await guesser.close();

    await openAsAdmin();
    await page.goto(`${e2e.servers.appUrl}/admin/users`);
    const row = page.locator('tr[data-username="locked-out"]');
    await expect(row.textContent()).resolves.toMatch(/sign-in locked \(\d+ min\)/);
    await row.locator('summary', { hasText: 'Unlock sign-in' }).click();
    await Promise.all([page.waitForURL(/done=unlocked/), row.getByRole('button', { name: 'Unlock sign-in of locked-out' }).click()]);
    await expect(text('#admin-notice')).resolves.toBe('Sign-in unlocked: the user may try again now.');

    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.locator('#audit-user').fill('locked-out');
    await Promise.all([page.waitForURL(/user=locked-out/), page.getByRole('button', { name: 'Show' }).click()]);
    const log = (await text('#audit-table')) ?? '';
    expect(log).toContain('auth.sign-in.failed');
    expect(log).toContain('auth.sign-in.locked');
    expect(log).toContain('user.unlock');
    expect(log).not.toContain('wrong-guess');
    await page.locator('#audit-action').selectOption('auth.sign-in.locked');
    await Promise.all([page.waitForURL(/action=auth.sign-in.locked/), page.getByRole('button', { name: 'Show' }).click()]);
    await expect(page.locator('#audit-table tbody tr').count()).resolves.toBe(1);
    await screenshot(page, '44-admin-audit-filtered');
    await expectAccessible(page, 'admin audit: filtered');
  });

  it('pages through a long audit log', async () => {
    for (let i = 0; i < 55; i += 1) await e2e.servers.deps.audit.record({ id: null, username: 'cli:e2e' }, 'user.activate', `paged-${i}`);
    await openAsAdmin();
    await page.goto(`${e2e.servers.appUrl}/admin/audit?user=cli%3Ae2e`);
    await expect(page.locator('#audit-table tbody tr').count()).resolves.toBe(50);
    await Promise.all([page.waitForURL(/page=2/), page.getByRole('link', { name: 'Older →' }).click()]);
    await expect(page.locator('#audit-table tbody tr').count()).resolves.toBe(5);
    expect(await page.locator('#audit-user').inputValue()).toBe('cli:e2e');
    await page.getByRole('link', { name: '← Newer' }).waitFor();
  });

  it('fits the users table on a phone: actions on screen, ids on few lines, scrolling regions reachable by keyboard', async () => {
    await openAsAdmin(PHONE);
    await page.goto(`${e2e.servers.appUrl}/admin/users`);
    expect(await overflowsHorizontally(page)).toBe(false);
    const row = page.locator('tr[data-username="demo"]');
    const action = await row.locator('summary', { hasText: 'Deactivate' }).boundingBox();
    expect(action!.x + action!.width).toBeLessThanOrEqual(PHONE.width);
    // A Subscription-Id (a UUID on real Fortellis) takes at most two lines.
    await e2e.servers.deps.users.link('demo', '5b7c2e1a-9d3f-4c6b-8a2e-1f0d9c8b7a65', 'Sunrise Motors');
    await page.reload();
    const id = page.locator('tr[data-username="demo"] code.id', { hasText: '5b7c2e1a' });
    const lines = await id.evaluate((el: any) => Math.round(el.getBoundingClientRect().height / parseFloat((globalThis as any).getComputedStyle(el).lineHeight)) as number);
    expect(lines).toBeLessThanOrEqual(2);
    const region = page.locator('.table-scroll').first();
    expect(await region.getAttribute('tabindex')).toBe('0');
    expect(await region.getAttribute('role')).toBe('region');
    await screenshot(page, '45-admin-users-phone');
    await expectAccessible(page, 'admin users: phone');
    await e2e.servers.deps.users.unlink('demo', '5b7c2e1a-9d3f-4c6b-8a2e-1f0d9c8b7a65');
  });
});
