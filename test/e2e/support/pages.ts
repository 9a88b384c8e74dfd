import type { Page } from 'playwright-core';
import { DEMO_USER } from '../../../src/auth/demo-users';

/** Signs in through the sign-in form, as a person would, and waits for the dashboard. */
export async function signInThroughTheForm(page: Page, appUrl: string, username: string = DEMO_USER.username, password: string = DEMO_USER.password): Promise<void> {
  await page.goto(`${appUrl}/login`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await Promise.all([page.waitForURL(`${appUrl}/dashboard`), page.getByRole('button', { name: 'Sign in' }).click()]);
}

/** Sends the API console's current call and waits for its answer; returns what the console shows. */
export async function sendConsoleCall(page: Page): Promise<{ status: string; requestId: string; output: string }> {
  const answered = page.waitForResponse((response) => new URL(response.url()).pathname.startsWith('/api/fortellis/'));
  await page.locator('#api-send').click();
  await answered;
  // The console re-enables Send once it has shown the answer.
  await page.locator('#api-send:enabled').waitFor();
  await page.locator('#api-result').waitFor({ state: 'visible' });
  return {
    status: (await page.locator('#api-status').textContent()) ?? '',
    requestId: (await page.locator('#api-request-id').textContent()) ?? '',
    output: (await page.locator('#api-output').textContent()) ?? '',
  };
}

// Page-side code is passed as strings: the project's TypeScript has no DOM library (it is a server), and
// these few expressions run in the browser, not in Node.

/** Whether the page is wider than the window (a layout that does not fit a phone). */
export function overflowsHorizontally(page: Page): Promise<boolean> {
  return page.evaluate<boolean>('document.documentElement.scrollWidth > window.innerWidth');
}

/** The fragment of the address the browser shows (`location.hash`). */
export function addressFragment(page: Page): Promise<string> {
  return page.evaluate<string>('window.location.hash');
}

/** Everything a script of the page could read from cookies and web storage. */
export function scriptReadableStorage(page: Page): Promise<{ cookie: string; local: string; session: string }> {
  return page.evaluate('({ cookie: document.cookie, local: JSON.stringify({ ...localStorage }), session: JSON.stringify({ ...sessionStorage }) })');
}

/** Waits until the element's text no longer holds `before` (a live countdown moved on). */
export async function waitForTextChange(page: Page, selector: string, before: string): Promise<void> {
  // A locator rather than waitForFunction: a string predicate would need 'unsafe-eval', which the CSP refuses.
  await page.locator(selector).filter({ hasNotText: before }).waitFor();
}
