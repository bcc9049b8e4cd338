/**
 * Screenshots of the console's views, written by the browser tests: to
 * test-results/screenshots/, or with CNPAAS_UPDATE_SCREENSHOTS=1 to
 * docs/images/, where README.md and docs/workshop.md use them (so they are
 * regenerated, never drawn by hand).
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from '@playwright/test';

const DIR = fileURLToPath(
  new URL(
    process.env.CNPAAS_UPDATE_SCREENSHOTS === '1' ? '../../docs/images/' : '../../test-results/screenshots/',
    import.meta.url,
  ),
);

/** The whole page, named for the view: console-<name>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(DIR, { recursive: true });
  await page.screenshot({ path: path.join(DIR, `console-${name}.png`), fullPage: true });
}
