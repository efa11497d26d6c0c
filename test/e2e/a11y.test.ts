/**
 * Accessibility: axe-core (from npm, injected into the page; nothing is fetched) on every screen
 * in both themes, as the admin who sees them all. Zero serious or critical violations of WCAG 2.x
 * A/AA, contrast included.
 */
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserUnavailable, openHarness, type Harness, setUpFirstAdmin } from './harness.js';

const skipReason = browserUnavailable();
if (skipReason) console.log(`SKIP accessibility tests: ${skipReason}`);
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const SCREENS = ['home', 'media', 'models', 'run', 'benchmark', 'audit', 'settings'] as const;
const PASSWORD = 'correct horse battery staple';

interface Violation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[]; failureSummary?: string }[];
}

describe.skipIf(skipReason !== null)('accessibility (axe-core) on every screen, light and dark', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await openHarness({ width: 1280, height: 800 });
    await setUpFirstAdmin(h, PASSWORD);
  });
  afterAll(async () => {
    await h?.close();
  });

  for (const theme of ['light', 'dark'] as const) {
    it(`${theme}: no serious or critical violation on any screen`, async () => {
      const { page } = h;
      const current = await page.evaluate('document.documentElement.dataset.theme');
      if (current !== theme) await page.getByTestId('theme-toggle').click();
      await expect.poll(() => page.evaluate('document.documentElement.dataset.theme')).toBe(theme);
      const found: string[] = [];
      for (const screen of SCREENS) {
        await page.getByTestId(`nav-${screen}`).click();
        await page.getByTestId(`screen-${screen}`).waitFor();
        // Let the screen's first calls answer before judging what it shows.
        await page.waitForTimeout(400);
        if (!(await page.evaluate("'axe' in window"))) await page.evaluate(AXE_SOURCE); // through DevTools, as the page's CSP rightly refuses inline script
        const violations = (await page.evaluate(
          "axe.run({ runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }).then((r) => r.violations)",
        )) as Violation[];
        for (const v of violations.filter((x) => x.impact === 'serious' || x.impact === 'critical'))
          found.push(
            `${screen}: ${v.id} (${v.impact}) ${v.help}: ${v.nodes
              .slice(0, 4)
              .map((n) => `${n.target.join(' ')} (${(n.failureSummary ?? '').replace(/\s+/g, ' ')})`)
              .join(' | ')}`,
          );
      }
      expect(found, found.join('\n')).toEqual([]);
    });
  }
});
