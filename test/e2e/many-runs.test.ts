// The runs screen with 10,000 stored runs: the table pages on the server (100
// rows at a time), so the page stays small however many runs the database holds;
// sorting and filtering are queries, not client-side work over every row.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { Store } from '../../src-main/store/store';
import { dataPaths } from '../../src-main/service/paths';
import { configHash } from '../../src-main/service/run-identity';
import { parseRunConfig } from '../../src-main/shared/run-config';
import { ensureRendererBuilt, launchChromium, startServe, RESULTS, type ServeProcess } from './harness';

const RUNS = 10_000;

describe('runs screen with 10,000 runs', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'kerv-e2e-many-'));
  let serve: ServeProcess;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    ensureRendererBuilt();
    // Runs recorded as cancelled: stored rows only, nothing for the queue to train.
    const store = Store.open({ file: dataPaths(dataDir).database });
    const kernels = ['linear', 'polynomial', 'gaussian'] as const;
    store.transaction(() => {
      for (let i = 0; i < RUNS; i++) {
        const config = parseRunConfig({ seed: i, model: { arch: i % 2 ? 'mlp' : 'lenet5', kernel: { type: kernels[i % 3] } } });
        store.runs.insert({ name: `bulk ${String(i).padStart(5, '0')}`, config, configHash: configHash(config), status: 'cancelled' });
      }
    });
    store.close();
    serve = await startServe(dataDir);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1440, height: 960 } });
    await page.goto(serve.url);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await serve?.stop();
    rmSync(dataDir, { recursive: true, force: true });
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
  });
});
