import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's Chromium (`apt-get install -y chromium`); `npx playwright install` cannot run here. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Screenshots for people to look at; ignored by git. */
export const SCREENSHOT_DIR = path.resolve(__dirname, '../../../test-results/screenshots');

/** Flags for a headless Chromium in a container: no sandbox (no user namespaces), no GPU, no calls home. */
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** Starts headless Chromium, or fails saying how to install it. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`No Chromium at ${CHROMIUM_PATH}: install it with "apt-get install -y chromium", or set CHROMIUM_PATH.`);
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
}

/** Saves a full-page screenshot as `test-results/screenshots/<name>.png`. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}

export interface PageWatch {
  /** Every console message, as `type: text`. */
  console: string[];
  /** Console errors (a CSP violation is one) and uncaught exceptions. */
  problems: string[];
}

/** Records what a page says on its console and what goes wrong in it, for assertions at the end. */
export function watchPage(page: Page): PageWatch {
  const watch: PageWatch = { console: [], problems: [] };
  page.on('console', (message) => {
    watch.console.push(`${message.type()}: ${message.text()}`);
    if (message.type() === 'error' && !isExpectedError(message.text())) watch.problems.push(message.text());
  });
  page.on('pageerror', (error) => watch.problems.push(`uncaught: ${error.message}`));
  return watch;
}

/** A 401 from `/api/me` after sign-out and a 404 page are answers the tests ask for, not faults. */
function isExpectedError(text: string): boolean {
  return /Failed to load resource: the server responded with a status of (401|404)/.test(text);
}

/** A JWT anywhere in a string: three base64url parts, the first one a JSON object (`eyJ`). */
export const JWT_PATTERN = /eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/;

/**
 * The page's faults, leaving out the error answers a test asked for (4xx refusals, 5xx outages the
 * simulator was told to cause): what remains (a CSP refusal, an uncaught exception) is a fault of the page.
 */
export function unexpectedProblems(watch: PageWatch): string[] {
  return watch.problems.filter((problem) => !/the server responded with a status of (4|5)\d\d/.test(problem));
}
