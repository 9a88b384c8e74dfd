import fs from 'node:fs';
import type { Page } from 'playwright-core';

/** axe-core's browser build, read once per test file. */
const AXE_SOURCE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

interface AxeNode {
  target: string[];
  failureSummary?: string;
}
interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: AxeNode[];
}

/**
 * Runs axe-core in the page and returns its violations of any impact, one line each (rule, impact, where).
 * The source goes in through the debugging protocol (page.evaluate), not a <script> element: the pages' CSP
 * allows no inline script, and the test must not loosen it. Every rule axe runs by default is on (WCAG 2.x
 * A and AA, and the best practices such as `region`).
 */
export async function axeViolations(page: Page): Promise<string[]> {
  const loaded = await page.evaluate<boolean>('typeof window.axe === "object"');
  if (!loaded) await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate<AxeViolation[]>(
    'axe.run(document, { resultTypes: ["violations"] }).then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target, failureSummary: n.failureSummary })) })))',
  );
  return violations.map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/** Asserts axe finds nothing, naming the page state in the failure message. */
export async function expectAccessible(page: Page, state: string): Promise<void> {
  expect({ state, violations: await axeViolations(page) }).toEqual({ state, violations: [] });
}
