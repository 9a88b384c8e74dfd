import type { Browser, Page } from 'playwright-core';
import { DEMO_ADMIN } from '../../src/auth/demo-users';
import { SIMULATOR_SUBSCRIPTIONS } from '../../src/simulator';
import { launchChromium, screenshot, watchPage, type PageWatch } from './support/browser';
import { sendConsoleCall, signInThroughTheForm } from './support/pages';
import { startE2eServers, type E2eServers } from './support/servers';

/**
 * The subscriptions story end to end: an admin sees the dealers that subscribed, creates a user and links
 * them to two dealers; that user signs in, switches store, and each proxied call carries the chosen
 * Subscription-Id.
 */
describe('an admin links a user to two dealers, and the user switches stores', () => {
  let servers: E2eServers;
  let browser: Browser;
  let page: Page;
  let watch: PageWatch;

  beforeAll(async () => {
    servers = await startE2eServers();
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await servers?.close();
  });

  beforeEach(async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    watch = watchPage(page);
  });

  afterEach(async () => {
    expect(watch.problems).toEqual([]);
    await page.context().close();
  });

  const lastSubscriptionIdSent = () => servers.sim.simulator.stats().lastApiRequest?.headers['subscription-id'];

  it('lets the admin see the subscribed dealers, create a user and link them to a second dealer', async () => {
    await signInThroughTheForm(page, servers.appUrl, DEMO_ADMIN.username, DEMO_ADMIN.password);
    await page.getByRole('link', { name: 'Admin' }).click();
    await page.getByRole('link', { name: 'Subscriptions' }).click();
    await page.locator('#subscriptions-table').waitFor();
    const dealers = await page.locator('#subscriptions-table').textContent();
    expect(dealers).toContain('Sunrise Motors');
    expect(dealers).toContain('Lakeside Auto Group');
    await screenshot(page, '20-admin-subscriptions');

    await page.getByRole('link', { name: 'Users' }).click();
    await page.locator('#new-username').fill('store-staff');
    await page.locator('#new-password').fill('store-staff-password');
    await page.getByLabel(/Dealer subscription/).selectOption('test');
    await Promise.all([page.waitForURL(/done=created/), page.getByRole('button', { name: 'Create user' }).click()]);
    await expect(page.locator('#admin-notice').textContent()).resolves.toBe('User created.');

    const row = page.locator('tr[data-username="store-staff"]');
    await row.getByLabel(/Subscription to link/).selectOption(SIMULATOR_SUBSCRIPTIONS.sunrise);
    await Promise.all([page.waitForURL(/done=linked/), row.getByRole('button', { name: 'Link', exact: true }).click()]);
    await expect(page.locator('tr[data-username="store-staff"]').textContent()).resolves.toContain('Sunrise Motors');
    await screenshot(page, '21-admin-users');

    // An inactive dealer is refused, and the page says why.
    await page.locator('tr[data-username="store-staff"]').getByLabel(/Subscription to link/).selectOption(SIMULATOR_SUBSCRIPTIONS.lakeside);
    await page.locator('tr[data-username="store-staff"]').getByRole('button', { name: 'Link', exact: true }).click();
    await expect(page.locator('#admin-error').textContent()).resolves.toMatch(/Lakeside Auto Group is inactive/);
    // The refusal is an answer the test asked for (HTTP 422), not a fault of the page.
    watch.problems = watch.problems.filter((problem) => !/status of 422/.test(problem));

    await page.getByRole('link', { name: 'Audit log' }).click();
    await expect(page.locator('#audit-table').textContent()).resolves.toContain('user.link-subscription');
    await screenshot(page, '22-admin-audit');
  });

  it('lets the user switch store, and each proxied call carries the chosen Subscription-Id', async () => {
    await signInThroughTheForm(page, servers.appUrl, 'store-staff', 'store-staff-password');
    await expect(page.locator('#me-subscription').textContent()).resolves.toBe('test');
    expect((await sendConsoleCall(page)).status).toBe('200');
    expect(lastSubscriptionIdSent()).toBe('test');

    await page.locator('#store-select').selectOption(SIMULATOR_SUBSCRIPTIONS.sunrise);
    await Promise.all([page.waitForURL(`${servers.appUrl}/dashboard`), page.locator('#store-switch').click()]);
    await expect(page.locator('#me-subscription').textContent()).resolves.toBe(SIMULATOR_SUBSCRIPTIONS.sunrise);
    await expect(page.locator('#me-dealer').textContent()).resolves.toContain('Sunrise Motors');
    const answer = await sendConsoleCall(page);
    expect(answer.status).toBe('200');
    expect(lastSubscriptionIdSent()).toBe(SIMULATOR_SUBSCRIPTIONS.sunrise);
    await screenshot(page, '23-dashboard-switched-store');

    await page.locator('#store-select').selectOption('test');
    await Promise.all([page.waitForURL(`${servers.appUrl}/dashboard`), page.locator('#store-switch').click()]);
    expect((await sendConsoleCall(page)).status).toBe('200');
    expect(lastSubscriptionIdSent()).toBe('test');
  });
});
