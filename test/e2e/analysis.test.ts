// The researcher's analysis views, in Chromium against a real `kerv serve`, over
// runs recorded through the real store (seed-analysis.ts): a 24-run sweep, a run
// with learnable γ and its diagnostics, a run without a validation split, a run
// with a single step, renamed, auto-named and deleted runs. Each of the walk-
// through's bugs 4, 6–10 has a regression check here, each feature a screenshot.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import type { Browser, Page } from 'playwright-core';
import { Store } from '../../src-main/store/store';
import { dataPaths } from '../../src-main/service/paths';
import { TRAIN_COLOR, VALIDATION_COLOR } from '../../src-renderer/src/lib/curves';
import { apiCall, ensureRendererBuilt, launchChromium, openWorkbench, startServe, RESULTS, type ServeProcess } from './harness';
import { gammaDiagnostics, recordAnalysisRun, recordSweep } from './seed-analysis';

describe('analysis views in Chromium', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'kerv-e2e-analysis-'));
  let serve: ServeProcess;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];
  let sweep: { groupId: number; ids: number[] };
  const run = { gamma: 0, noValidation: 0, onePoint: 0, renamed: 0, autoNamed: 0, doomed: 0 };

  beforeAll(async () => {
    ensureRendererBuilt();
    const store = Store.open({ file: dataPaths(dataDir).database });
    sweep = recordSweep(store);
    run.gamma = recordAnalysisRun(store, {
      name: 'lenet5 learnable gamma',
      config: { model: { arch: 'lenet5', kernel: { type: 'gaussian', gamma: 1, learnable: true } }, epochs: 3 },
      accuracy: 0.86,
      scalars: gammaDiagnostics,
    });
    run.noValidation = recordAnalysisRun(store, { name: 'no validation split', config: { dataset: { name: 'fashion-mnist', validationFraction: 0 } }, accuracy: 0.8 });
    run.onePoint = recordAnalysisRun(store, { name: 'one step', config: {}, accuracy: 0.5, onlySteps: 1 });
    run.renamed = recordAnalysisRun(store, { name: 'before rename', config: { optimizer: { lr: 0.02 } }, accuracy: 0.7, rename: 'after rename' });
    run.autoNamed = recordAnalysisRun(store, { name: 'mlp-linear-auto', config: {}, accuracy: 0.72, autoNamed: true });
    run.doomed = recordAnalysisRun(store, { name: 'to be deleted', config: {}, accuracy: 0.6 });
    store.close();
    serve = await startServe(dataDir);
    browser = await launchChromium();
    ({ page } = await openWorkbench(browser, serve, pageErrors));
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await serve?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** The whole screen: the app scrolls inside <main>, so the viewport grows to its content for the picture. */
  async function shot(name: string) {
    for (const toast of await page.locator('.toast').all()) await toast.click().catch(() => {});
    const height = await page.evaluate(() => Math.max(960, Math.ceil(document.querySelector('main')!.scrollHeight)));
    await page.setViewportSize({ width: 1440, height: Math.min(height, 4000) });
    await page.waitForTimeout(300); // charts resize on the next frame
    await page.screenshot({ path: join(RESULTS, `${name}.png`) });
    await page.setViewportSize({ width: 1440, height: 960 });
  }

  /** How many pixels of a chart are (close to) a colour: whether a curve is actually drawn. */
  async function pixelsOf(selector: string, hex: string): Promise<number> {
    const png = PNG.sync.read(await page.locator(selector).first().screenshot());
    const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
    let n = 0;
    for (let i = 0; i < png.data.length; i += 4) {
      if (Math.abs(png.data[i] - r) + Math.abs(png.data[i + 1] - g) + Math.abs(png.data[i + 2] - b) < 40) n++;
    }
    return n;
  }

  async function openRun(id: number) {
    await page.goto(`${serve.origin}/#/runs/${id}`);
    await page.waitForSelector('[data-testid="progress"]');
  }

  it('names the split the per-epoch evaluation comes from (bug 4)', async () => {
    await openRun(run.noValidation);
    for (const id of ['confusion-split', 'per-class-split', 'samples-split']) {
      expect(await page.textContent(`[data-testid="${id}"]`)).toContain('test split');
    }
    await openRun(sweep.ids[0]);
    expect(await page.textContent('[data-testid="confusion-split"]')).toContain('validation split');
  });

  it('labels a wall-time axis as durations, not raw floats (bug 6)', async () => {
    await openRun(sweep.ids[0]);
    await page.selectOption('[aria-label="X axis"]', 'wall');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[aria-label="Save Loss as SVG"]')]);
    const file = join(RESULTS, 'loss-by-wall-time.svg');
    await download.saveAs(file);
    const labels = [...readFileSync(file, 'utf8').matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
    expect(labels.some((l) => /^\d+(\.\d)?s$/.test(l))).toBe(true);
    expect(labels.filter((l) => /\d\.\d{4,}/.test(l))).toEqual([]);
    await page.selectOption('[aria-label="X axis"]', 'step');
  });

  it('draws a single-point chart, and train and validation in different colours (bug 10)', async () => {
    await openRun(run.onePoint);
    await page.waitForFunction(() => Number(document.querySelector('[aria-label="Loss"]')?.getAttribute('data-points')) > 0);
    await page.waitForTimeout(300);
    expect(await pixelsOf('[aria-label="Loss"]', TRAIN_COLOR)).toBeGreaterThan(10);
    await openRun(sweep.ids[0]);
    await page.waitForTimeout(300);
    expect(await pixelsOf('[aria-label="Accuracy"]', TRAIN_COLOR)).toBeGreaterThan(50);
    expect(await pixelsOf('[aria-label="Accuracy"]', VALIDATION_COLOR)).toBeGreaterThan(20);
  });

  it('shows current names in the config difference, never null (bug 8)', async () => {
    await page.goto(`${serve.origin}/#/compare?ids=${run.renamed},${run.autoNamed}`);
    const nameRow = page.locator('[data-testid="config-diff"] tr[data-path="name"] td');
    await nameRow.first().waitFor();
    expect(await nameRow.allTextContents()).toEqual(['name', 'after rename', 'mlp-linear-auto']);
  });

  it('compares the runs that still exist when a linked one was deleted (bug 9)', async () => {
    await apiCall(serve, 'runs:delete', { ids: [run.doomed] });
    await page.goto(`${serve.origin}/#/compare?ids=${run.renamed},${run.doomed},${run.autoNamed}`);
    await page.locator('[data-testid="compare-missing"]').waitFor();
    expect(await page.textContent('[data-testid="compare-missing"]')).toContain(`#${run.doomed} no longer exists`);
    expect(await page.locator('[data-testid="compare-metrics"] tbody tr').count()).toBe(2);
    await page.waitForFunction(() => Number(document.querySelector('[aria-label="train loss"]')?.getAttribute('data-points')) > 0);
  });

  it('compares 20 runs readably: a side legend with show/hide, distinct colours, no sideways scroll (bug 7)', async () => {
    const ids = sweep.ids.slice(0, 20);
    await page.goto(`${serve.origin}/#/compare?ids=${ids.join(',')}`);
    const items = page.locator('[data-testid="run-legend"] li');
    await items.nth(19).waitFor();
    const colours = await page.locator('[data-testid="run-legend"] .swatch').evaluateAll((els) => els.map((e) => getComputedStyle(e).backgroundColor));
    expect(new Set(colours).size).toBe(20);
    const points = async () => Number(await page.getAttribute('[aria-label="train loss"]', 'data-points'));
    await page.waitForFunction(() => Number(document.querySelector('[aria-label="train loss"]')?.getAttribute('data-points')) > 0);
    const all = await points();
    await page.uncheck(`[aria-label="Show run ${ids[3]}"]`);
    await expect.poll(points).toBeLessThan(all);
    await page.check(`[aria-label="Show run ${ids[3]}"]`);
    await expect.poll(points).toBe(all);
    const overflow = await page.evaluate(() => {
      const main = document.querySelector('main')!;
      return main.scrollWidth - main.clientWidth;
    });
    expect(overflow).toBeLessThanOrEqual(0);
    await page.waitForTimeout(300);
    await shot('compare-20-runs');
  });
});
