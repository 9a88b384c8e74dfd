import type { BrowserContext, Page } from 'playwright-core';
import { DEMO_ADMIN } from '../../src/auth/demo-users';
import { axeViolations } from './support/accessibility';
import { screenshot, watchPage, type PageWatch } from './support/browser';
import { overflowsHorizontally, sendConsoleCall, signInThroughTheForm } from './support/pages';
import { useServersAndBrowser } from './support/servers';

/**
 * Every page, at a desktop and a phone width, through axe-core (0 violations of any impact), with a
 * screenshot of each and no page wider than the window. States with their own tests (the console's
 * problems, the session ending, the admin pages with Fortellis down) are checked there too.
 */
const VIEWPORTS = [
  { name: 'desktop', size: { width: 1280, height: 900 } },
  { name: 'phone', size: { width: 390, height: 844 } },
] as const;

/** What a visit does before the check: open a URL, or act on the page already open. */
type Visit = { name: string; path?: string; act?: (page: Page) => Promise<void> };

const SIGNED_OUT: Visit[] = [
  { name: 'login', path: '/login' },
  { name: 'login-after-session-ended', path: '/login?reason=session-ended&returnTo=%2Fdashboard' },
  { name: 'implicit-demo', path: '/implicit/' },
  { name: 'compare', path: '/compare' },
];

const SIGNED_IN: Visit[] = [
  { name: 'dashboard', path: '/dashboard' },
  {
    name: 'dashboard-answer',
    act: async (page) => {
      await sendConsoleCall(page);
    },
  },
  { name: 'admin-users', path: '/admin/users' },
  {
    name: 'admin-users-confirm-open',
    act: async (page) => {
      await page.locator('tr[data-username="demo"] summary', { hasText: 'Deactivate' }).click();
    },
  },
  { name: 'admin-subscriptions', path: '/admin/subscriptions' },
  { name: 'admin-audit', path: '/admin/audit' },
  { name: 'admin-audit-bad-filter', path: '/admin/audit?action=nonsense&from=tomorrow' },
  { name: 'not-found', path: '/no-such-page' },
];

describe('accessibility of every page, desktop and phone', () => {
  const e2e = useServersAndBrowser();

  describe.each(VIEWPORTS)('at $name width', ({ name: viewport, size }) => {
    let context: BrowserContext;
    let page: Page;
    let watch: PageWatch;

    beforeAll(async () => {
      context = await e2e.browser.newContext({ viewport: size });
      page = await context.newPage();
      watch = watchPage(page);
    });

    afterAll(async () => {
      await context?.close();
    });

    async function check(visits: Visit[]): Promise<Record<string, string[]>> {
      const found: Record<string, string[]> = {};
      for (const visit of visits) {
        if (visit.path) await page.goto(`${e2e.servers.appUrl}${visit.path}`);
        if (visit.act) await visit.act(page);
        const violations = await axeViolations(page);
        if (await overflowsHorizontally(page)) violations.push('the page is wider than the window');
        if (violations.length) found[visit.name] = violations;
        await screenshot(page, `90-${viewport}-${visit.name}`);
      }
      return found;
    }

    it('finds nothing on the pages for visitors', async () => {
      expect(await check(SIGNED_OUT)).toEqual({});
    });

    it('finds nothing on the dashboard and the admin pages', async () => {
      await signInThroughTheForm(page, e2e.servers.appUrl, DEMO_ADMIN.username, DEMO_ADMIN.password);
      expect(await check(SIGNED_IN)).toEqual({});
      // The 404 page is a page the test asked for.
      expect(watch.problems).toEqual([]);
    });

    it('shows a focus ring with at least 3:1 contrast against the page', async () => {
      await page.goto(`${e2e.servers.appUrl}/dashboard`);
      await page.keyboard.press('Tab');
      await page.keyboard.press('Tab');
      const ring = await page.evaluate<{ style: string; width: string; colour: string }>(
        '(() => { const s = getComputedStyle(document.activeElement); return { style: s.outlineStyle, width: s.outlineWidth, colour: s.outlineColor }; })()',
      );
      expect(ring.style).toBe('solid');
      expect(parseFloat(ring.width)).toBeGreaterThanOrEqual(2);
      expect(contrast(ring.colour, 'rgb(255, 255, 255)')).toBeGreaterThanOrEqual(3);
      expect(contrast(ring.colour, 'rgb(243, 245, 249)')).toBeGreaterThanOrEqual(3);
    });
  });
});

/** WCAG's contrast ratio of two `rgb(r, g, b)` colours. */
function contrast(a: string, b: string): number {
  const luminance = (colour: string) => {
    const [r, g, bl] = colour.match(/\d+(\.\d+)?/g)!.slice(0, 3).map((v) => {
      const c = Number(v) / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    }) as [number, number, number];
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (light + 0.05) / (dark + 0.05);
}
