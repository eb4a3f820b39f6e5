// Issue 22's lows on the Runs and Settings screens, in Chromium against a real
// `kerv serve`:
// - a setting the service refuses is a sentence naming the setting as the screen
//   labels it and what it may be, not zod's text ("Too small: expected number to be >=1").
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { recordRun } from '../integration/server/recorded-run';
import { RESULTS, type ServeProcess } from './harness';
import { openUiSession, type UiSession } from './ui-session';

describe("issue 22's lows on the Runs and Settings screens", () => {
  let ui: UiSession;
  let serve: ServeProcess;
  let page: Page;

  beforeAll(async () => {
    ui = await openUiSession('kerv-e2e-screen-lows-', (store) => {
      recordRun(store, 'first', { epochs: 1 });
    });
    ({ serve, page } = ui);
  }, 180_000);

  afterAll(async () => {
    await ui?.close();
  });

  it('a refused setting reads as a sentence naming the setting and what it may be', async () => {
    await page.goto(`${serve.origin}/#/settings`);
    const concurrency = page.locator('[aria-label="Concurrency"]');
    await concurrency.fill('0');
    await concurrency.locator('xpath=following-sibling::button[1]').click();
    await page.locator('.toast.error', { hasText: 'Concurrency' }).waitFor();
    expect(await page.locator('.toast.error').allTextContents()).toContain('Not saved: Concurrency must be a whole number from 1 to 64.');
    await page.screenshot({ path: join(RESULTS, 'settings-refused.png') });
    for (const toast of await page.locator('.toast').all()) await toast.click().catch(() => {});

    await page.goto(`${serve.origin}/#/workers`);
    await page.fill('[aria-label="Redis URL"]', 'http://cluster-host');
    await page.click('button:has-text("Save")');
    await page.locator('.toast.error', { hasText: 'Redis URL' }).waitFor();
    expect(await page.locator('.toast.error').allTextContents()).toContain('Not saved: Redis URL must be a Redis URL: redis://[user:password@]host[:port][/db], or rediss://… for TLS.');
    expect(ui.pageErrors).toEqual([]);
  });
});
