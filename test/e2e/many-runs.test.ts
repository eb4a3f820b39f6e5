// The runs screen with 10,000 stored runs: the table pages on the server (100
// rows at a time), so the page stays small however many runs the database holds;
// sorting and filtering are queries, not client-side work over every row.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { configHash } from '../../src-main/service/run-identity';
import { parseRunConfig } from '../../src-main/shared/run-config';
import { RESULTS, type ServeProcess } from './harness';
import { openUiSession, type UiSession } from './ui-session';

const RUNS = 10_000;

describe('runs screen with 10,000 runs', () => {
  let ui: UiSession;
  let serve: ServeProcess;
  let page: Page;

  beforeAll(async () => {
    // Runs recorded as cancelled: stored rows only, nothing for the queue to train.
    ui = await openUiSession('kerv-e2e-many-', (store) => {
      const kernels = ['linear', 'polynomial', 'gaussian'] as const;
      store.transaction(() => {
        for (let i = 0; i < RUNS; i++) {
          const config = parseRunConfig({ seed: i, model: { arch: i % 2 ? 'mlp' : 'lenet5', kernel: { type: kernels[i % 3] } } });
          store.runs.insert({ name: `bulk ${String(i).padStart(5, '0')}`, config, configHash: configHash(config), status: 'cancelled' });
        }
      });
    });
    ({ serve, page } = ui);
  }, 180_000);

  afterAll(async () => {
    await ui?.close();
  });

  it('shows one page of rows, pages through all of them, sorts and filters on the server', async () => {
    await page.goto(`${serve.origin}/#/runs`);
    await page.locator('.pager', { hasText: '1–100 of 10,000' }).waitFor();
    expect(await page.locator('tr[data-run-id]').count()).toBe(100);
    expect(await page.getAttribute('tr[data-run-id] >> nth=0', 'data-run-id')).toBe(String(RUNS));

    await page.click('[aria-label="Last page"]');
    await page.locator('.pager', { hasText: '9,901–10,000 of 10,000' }).waitFor();
    expect(await page.getAttribute('tr[data-run-id] >> nth=-1', 'data-run-id')).toBe('1');

    await page.click('th button:has-text("Name")');
    await page.locator('.pager', { hasText: '1–100 of 10,000' }).waitFor();
    await page.locator('tr[data-run-id] >> nth=0', { hasText: 'bulk 00000' }).waitFor();

    await page.fill('[aria-label="Filter runs"]', 'gaussian');
    await page.locator('.pager', { hasText: 'of 3,333' }).waitFor();
    const kernels = await page.locator('tr[data-run-id] td:nth-child(7)').allTextContents();
    expect(new Set(kernels)).toEqual(new Set(['gaussian']));
    await page.screenshot({ path: join(RESULTS, 'runs-10000.png') });
    expect(ui.pageErrors).toEqual([]);
  });
});
