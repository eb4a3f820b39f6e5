// Issue 22's lows on the Runs and Settings screens, in Chromium against a real
// `kerv serve`:
// - the Runs screen's search and filter boxes show their whole placeholder at the
//   app's smallest window (it was cut off);
// - a saved view names its columns as the column picker does, even a config path
//   no run on the page has (it showed the raw key 'config.…'), and drops a name the
//   store cannot query;
// - a setting the service refuses is a sentence naming the setting as the screen
//   labels it and what it may be, not zod's text ("Too small: expected number to be >=1").
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { MIN_WINDOW_SIZE } from '../../src-main/shared/window';
import { recordRun } from '../integration/server/recorded-run';
import { RESULTS, type ServeProcess } from './harness';
import { openUiSession, type UiSession } from './ui-session';

/** How wide an input's placeholder is drawn, and the room its content box has for it (px). */
function placeholderFit(page: Page, selector: string): Promise<{ placeholder: string; textPx: number; roomPx: number }> {
  return page.locator(selector).evaluate((element) => {
    const input = element as HTMLInputElement;
    const style = getComputedStyle(input, '::placeholder');
    const context = document.createElement('canvas').getContext('2d')!;
    context.font = `${style.fontStyle} ${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
    const box = getComputedStyle(input);
    return {
      placeholder: input.placeholder,
      textPx: context.measureText(input.placeholder).width,
      roomPx: input.clientWidth - parseFloat(box.paddingLeft) - parseFloat(box.paddingRight),
    };
  });
}

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

  it("the Runs screen's search and filter placeholders fit at the smallest window", async () => {
    await page.setViewportSize(MIN_WINDOW_SIZE);
    try {
      await page.goto(`${serve.origin}/#/runs`);
      await page.waitForSelector('.runs-table');
      await page.screenshot({ path: join(RESULTS, 'runs-smallest-window.png') });
      for (const selector of ['[aria-label="Filter runs"]', '[aria-label="Filter expression"]']) {
        const fit = await placeholderFit(page, selector);
        expect(fit.placeholder.length).toBeGreaterThan(10);
        expect(fit.textPx, `${selector}: "${fit.placeholder}" needs ${fit.textPx} px, has ${fit.roomPx}`).toBeLessThanOrEqual(fit.roomPx);
      }
    } finally {
      await page.setViewportSize({ width: 1440, height: 960 });
    }
  });

  it("a saved view's header names every column as the picker does, never a raw key", async () => {
    await page.goto(`${serve.origin}/#/runs`);
    await page.waitForSelector('tr[data-run-id]');
    // A view saved when runs with an older config field were on the page, and a name from another version.
    const view = { name: 'older view', columns: ['id', 'name', 'config.dataset.cropSize', 'config.model.kernel.gamma', 'bogus'], filter: '', sortBy: 'id', sortDir: 'desc' };
    await page.evaluate((views) => localStorage.setItem('kerv.run-views', JSON.stringify(views)), [view]);
    await page.reload();
    await page.waitForSelector('tr[data-run-id]');
    await page.selectOption('[aria-label="Saved views"]', 'older view');
    await page.locator('td[data-column="config.model.kernel.gamma"]').first().waitFor();
    const headers = (await page.locator('thead th').allTextContents()).map((t) => t.replace(/[▲▼]/g, '').trim()).filter(Boolean);
    expect(headers).toEqual(['#', 'Name', 'dataset.cropSize', 'model.kernel.gamma']);
    await page.evaluate(() => localStorage.clear());
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
