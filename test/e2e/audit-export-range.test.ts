/**
 * Audit export of a date range from the Audit screen: the range reaches the engine (the manifest
 * says so), and a range with no record is refused in words with nothing written.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserUnavailable, openHarness, type Harness, setUpFirstAdmin } from './harness.js';

const skipReason = browserUnavailable();
if (skipReason) console.log(`SKIP audit export range tests: ${skipReason}`);
const PASSWORD = 'correct horse battery staple';

describe.skipIf(skipReason !== null)('audit export of a date range', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await openHarness({ width: 1280, height: 800 });
    await setUpFirstAdmin(h, PASSWORD);
    const { page } = h;
    await page.getByTestId('nav-audit').click();
    await page.getByTestId('audit-export').waitFor();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('a range with no record: refused in words, nothing written', async () => {
    const { page } = h;
    const out = join(h.tmp, 'export-empty');
    await page.getByTestId('audit-export-from').fill('2001-01-01');
    await page.getByTestId('audit-export-to').fill('2001-01-02');
    await page.getByTestId('audit-export-path').fill(out);
    await page.getByTestId('audit-export-run').click();
    await expect
      .poll(() => page.getByTestId('audit-export').textContent(), { timeout: 30_000 })
      .toMatch(/No audit records/);
    expect(existsSync(out)).toBe(false);
  });

  it("today's range: exported, and the manifest carries the range asked for", async () => {
    const { page } = h;
    const today = new Date().toISOString().slice(0, 10);
    const out = join(h.tmp, 'export-today');
    await page.getByTestId('audit-export-from').fill(today);
    await page.getByTestId('audit-export-to').fill(today);
    await page.getByTestId('audit-export-path').fill(out);
    await page.getByTestId('audit-export-run').click();
    await expect
      .poll(() => page.getByTestId('export-result').textContent(), { timeout: 60_000 })
      .toContain('Exported records');
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as {
      range: { from: string | null; to: string | null; count: number };
    };
    expect(manifest.range.from).toBe(`${today}T00:00:00.000Z`);
    expect(manifest.range.to).toBe(`${today}T23:59:59.999Z`);
    expect(manifest.range.count).toBeGreaterThan(0);
  });
});
