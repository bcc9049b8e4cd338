/**
 * The browser of the console's suites: Debian's Chromium (apt-get install
 * chromium; CNPAAS_CHROMIUM names another) driven by Playwright's library.
 * Playwright's own browser downloads are never used.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Locator } from '@playwright/test';
import { waitFor } from '@cnpaas/service-kit/testing';

const CHROMIUM = process.env.CNPAAS_CHROMIUM ?? '/usr/bin/chromium';

/** Starts Chromium, or says how to install it. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(`no Chromium at ${CHROMIUM}: apt-get install chromium, or set CNPAAS_CHROMIUM`);
  // --no-sandbox: CI runs as root, where Chromium's own sandbox cannot start.
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
}

/** Polls a locator's text until it matches, and returns it: the views update asynchronously. */
export async function textOf(locator: Locator, pattern: RegExp, timeoutMs = 30_000): Promise<string> {
  return waitFor(
    `text matching ${pattern}`,
    async () => {
      const text = (await locator.allTextContents()).join('\n');
      // Thrown, not returned: waitFor names the last error, so a timeout shows the text that did not match.
      if (!pattern.test(text)) throw new Error(`text ${JSON.stringify(text.slice(0, 300))} does not match`);
      return text;
    },
    timeoutMs,
    100,
  );
}
