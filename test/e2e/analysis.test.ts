// The researcher's analysis views, in Chromium against a real `kerv serve`, over
// runs recorded through the real store (seed-analysis.ts): a 24-run sweep, a run
// with learnable γ and its diagnostics, a run without a validation split, a run
// with a single step, renamed, auto-named and deleted runs. Each of the walk-
// through's bugs 4, 6–10 has a regression check here, each feature a screenshot.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import type { Page } from 'playwright-core';
import { CONFUSION_GRID, TRAIN_COLOR, VALIDATION_COLOR } from '../../src-renderer/src/lib/curves';
import { COLOUR_SCALE, PARALLEL_LAYOUT } from '../../src-renderer/src/lib/hyperparams';
import { apiCall, RESULTS, type ServeProcess } from './harness';
import { openUiSession, screenshotScreen, type UiSession } from './ui-session';
import { gammaDiagnostics, recordAnalysisRun, recordSweep, sampleSet, SWEEP_LRS } from './seed-analysis';

describe('analysis views in Chromium', () => {
  let ui: UiSession;
  let serve: ServeProcess;
  let page: Page;
  let sweep: { groupId: number; ids: number[] };
  const run = { gamma: 0, noValidation: 0, onePoint: 0, renamed: 0, autoNamed: 0, doomed: 0, otherSamples: 0 };

  beforeAll(async () => {
    ui = await openUiSession('kerv-e2e-analysis-', (store) => {
      sweep = recordSweep(store);
      run.gamma = recordAnalysisRun(store, {
        name: 'lenet5 learnable gamma',
        config: { model: { arch: 'lenet5', kernel: { type: 'gaussian', gamma: 1, learnable: true } }, epochs: 3 },
        accuracy: 0.86,
        scalars: gammaDiagnostics,
        // A cosine tail: 0.002 down to 0.00199, where three significant digits read alike.
        learningRate: (step) => 0.002 * (1 - 0.005 * (1 - Math.cos((Math.PI * step) / 120)) / 2),
      });
      run.noValidation = recordAnalysisRun(store, { name: 'no validation split', config: { dataset: { name: 'fashion-mnist', validationFraction: 0 } }, accuracy: 0.8 });
      run.onePoint = recordAnalysisRun(store, { name: 'one step', config: {}, accuracy: 0.5, onlySteps: 1 });
      run.renamed = recordAnalysisRun(store, { name: 'before rename', config: { optimizer: { lr: 0.02 } }, accuracy: 0.7, rename: 'after rename' });
      run.autoNamed = recordAnalysisRun(store, { name: 'mlp-linear-auto', config: {}, accuracy: 0.72, autoNamed: true });
      run.doomed = recordAnalysisRun(store, { name: 'to be deleted', config: {}, accuracy: 0.6 });
      run.otherSamples = recordAnalysisRun(store, { name: 'other sample images', config: { model: { arch: 'lenet5' } }, accuracy: 0.7, samples: sampleSet(1) });
    });
    ({ serve, page } = ui);
  }, 180_000);

  afterAll(async () => {
    await ui?.close();
  });

  const shot = (name: string) => screenshotScreen(page, name);

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

  /** Drags along parallel axis `axis` (of `count`) over its top 40 %: the runs best on that axis. */
  async function brushParallel(axis: number, count: number) {
    const box = (await page.locator('[aria-label="Parallel coordinates"]').boundingBox())!;
    const x = box.x + PARALLEL_LAYOUT.left + (axis * (box.width - PARALLEL_LAYOUT.left - PARALLEL_LAYOUT.right)) / (count - 1);
    const top = box.y + PARALLEL_LAYOUT.top;
    const height = box.height - PARALLEL_LAYOUT.top - PARALLEL_LAYOUT.bottom;
    await page.mouse.move(x, top + 2);
    await page.mouse.down();
    await page.mouse.move(x, top + height * 0.2, { steps: 8 });
    await page.mouse.move(x, top + height * 0.4, { steps: 8 });
    await page.mouse.up();
  }

  /** The run ids the selection bar lists (what a brush selected). */
  async function brushed(): Promise<number[]> {
    return ((await page.textContent('[data-testid="brush-selection"] .mono')) ?? '').match(/\d+/g)?.map(Number) ?? [];
  }

  /** Every chosen run of the sweep has a better best validation accuracy than every other. */
  async function expectBestOfSweep(chosen: number[]) {
    const best = async (id: number) => (await apiCall(serve, 'runs:get', { id })).bestValidationAccuracy!;
    const chosenAcc = await Promise.all(chosen.map(best));
    const others = await Promise.all(sweep.ids.filter((id) => !chosen.includes(id)).map(best));
    expect(Math.min(...chosenAcc)).toBeGreaterThan(Math.max(...others));
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

  it('answers questions in the runs table: filter on numbers, any column, sort, saved views, keyboard', async () => {
    await page.goto(`${serve.origin}/#/runs`);
    await page.waitForSelector('tr[data-run-id]');
    await page.fill('[aria-label="Filter expression"]', 'best val acc > 0.78, kernel = gaussian, epochs ≥ 3');
    await page.press('[aria-label="Filter expression"]', 'Enter');
    await page.waitForFunction(() => {
      const kernels = [...document.querySelectorAll('tr[data-run-id] td:nth-child(7)')].map((td) => td.textContent);
      return kernels.length > 0 && kernels.every((k) => k === 'gaussian');
    });
    const kernels = await page.locator('tr[data-run-id] td:nth-child(7)').allTextContents();
    expect(new Set(kernels)).toEqual(new Set(['gaussian']));
    const accuracies = await page.locator('tr[data-run-id] td[data-column="bestValidationAccuracy"]').allTextContents();
    expect(accuracies.every((a) => parseFloat(a) > 78)).toBe(true);
    // A config field as a column, sorted on.
    await page.click('button:has-text("Columns")');
    await page.fill('[aria-label="Find a column"]', 'optimizer.lr');
    await page.check('[aria-label="Column optimizer.lr"]');
    await page.click('[data-testid="column-picker"] button:has-text("Done")');
    await page.click('th button:has-text("optimizer.lr")');
    await page.waitForFunction(() => document.querySelector('th[aria-sort="descending"]')?.textContent?.includes('optimizer.lr'));
    await page.locator('td[data-column="config.optimizer.lr"]').first().waitFor();
    const lrs = (await page.locator('td[data-column="config.optimizer.lr"]').allTextContents()).map(Number);
    expect(lrs).toEqual([...lrs].sort((a, b) => b - a));
    await shot('runs-table-filtered');
    // A bad condition says what is wrong and keeps the last good query.
    await page.fill('[aria-label="Filter expression"]', 'best val acc > high');
    await page.press('[aria-label="Filter expression"]', 'Enter');
    expect(await page.textContent('[data-testid="filter-error"]')).toContain('Best val acc is a number');
    await page.fill('[aria-label="Filter expression"]', 'best val acc > 0.78, kernel = gaussian, epochs ≥ 3');
    await page.press('[aria-label="Filter expression"]', 'Enter');
    // Saved, then restored after a reload.
    await page.click('button:has-text("Save view")');
    await page.fill('[aria-label="View name"]', 'good gaussians');
    await page.press('[aria-label="View name"]', 'Enter');
    await page.reload();
    await page.waitForSelector('tr[data-run-id]');
    await page.selectOption('[aria-label="Saved views"]', 'good gaussians');
    // The columns are kept across the reload, so the lr column is there before the view's filter applies.
    await page.waitForFunction(() => [...document.querySelectorAll('tr[data-run-id] td:nth-child(7)')].every((td) => td.textContent === 'gaussian'));
    await page.locator('td[data-column="config.optimizer.lr"]').first().waitFor();
    expect(await page.inputValue('[aria-label="Filter expression"]')).toContain('kernel = gaussian');
    expect(new Set(await page.locator('tr[data-run-id] td:nth-child(7)').allTextContents())).toEqual(new Set(['gaussian']));
    // Keyboard: ↓ ↓ moves to the second row, Space selects it, Enter opens it.
    await page.locator('h1').click();
    const second = await page.getAttribute('tr[data-run-id] >> nth=1', 'data-run-id');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press(' ');
    expect(await page.isChecked(`[aria-label="Select run ${second}"]`)).toBe(true);
    await page.keyboard.press('Enter');
    await page.waitForURL(new RegExp(`#/runs/${second}$`));
  });

  it("issue 22's runs-table lows: accuracies in percent, every config column offered and kept, selection follows the search, wording, the search box", async () => {
    await page.goto(`${serve.origin}/#/runs`);
    await page.waitForSelector('tr[data-run-id]');
    // A fresh table: the default columns, whatever an earlier test picked.
    await page.click('button:has-text("Columns")');
    await page.click('[data-testid="column-picker"] button:has-text("Reset")');
    // "best val acc > 80" means 80 %, as the column shows it.
    await page.fill('[aria-label="Filter expression"]', 'best val acc > 80');
    await page.press('[aria-label="Filter expression"]', 'Enter');
    await expect.poll(async () => (await page.locator('tr[data-run-id] td[data-column="bestValidationAccuracy"]').allTextContents()).length).toBeGreaterThan(0);
    await page.waitForFunction(() => [...document.querySelectorAll('tr[data-run-id] td[data-column="bestValidationAccuracy"]')].every((td) => parseFloat(td.textContent ?? '') > 80));
    expect(await page.locator('[data-testid="filter-error"]').count()).toBe(0);
    await page.fill('[aria-label="Filter expression"]', '');
    await page.press('[aria-label="Filter expression"]', 'Enter');

    // Kernel fields and the subsets are offered before any config column is shown.
    for (const name of ['model.kernel.gamma', 'model.kernel.c', 'model.kernel.learnable', 'dataset.trainSubset', 'dataset.testSubset']) {
      await page.fill('[aria-label="Find a column"]', name);
      await page.locator(`[aria-label="Column ${name}"]`).waitFor();
    }
    await page.fill('[aria-label="Find a column"]', 'gamma');
    await page.check('[aria-label="Column model.kernel.gamma"]');
    await page.click('[data-testid="column-picker"] button:has-text("Done")');
    await page.locator('td[data-column="config.model.kernel.gamma"]').first().waitFor();
    // Kept across a reload without saving a view; the header reads the path, not the raw key.
    await page.reload();
    await page.locator('td[data-column="config.model.kernel.gamma"]').first().waitFor();
    expect(await page.locator('thead th').allTextContents()).toContain('model.kernel.gamma');

    // Select the page, then search: the selection keeps only what the search shows.
    await page.check('[aria-label="Select page"]');
    await page.fill('[aria-label="Filter runs"]', 'gaussian');
    await page.waitForFunction(() => [...document.querySelectorAll('tr[data-run-id] td:nth-child(7)')].every((td) => td.textContent === 'gaussian'));
    const shown = await page.locator('tr[data-run-id]').count();
    await expect.poll(() => page.textContent('.actions span')).toBe(`${shown} selected`);
    await page.fill('[aria-label="Filter runs"]', '');
    await page.click('.actions button.link:has-text("Clear")');

    // One run: "run #N … its", not "1 run … their".
    const first = await page.getAttribute('tr[data-run-id] >> nth=0', 'data-run-id');
    await page.check(`[aria-label="Select run ${first}"]`);
    await page.click('.actions button.danger');
    expect(await page.textContent('[data-testid="delete-question"]')).toBe(`Delete run #${first} with its metrics and checkpoints? This cannot be undone.`);
    await page.click('[role="dialog"] button:has-text("Keep")');
    await page.click('.actions button.link:has-text("Clear")');

    // The search box shows its whole hint.
    const fits = await page.evaluate(() => {
      const input = document.querySelector('[aria-label="Filter runs"]') as HTMLInputElement;
      const style = getComputedStyle(input);
      const context = document.createElement('canvas').getContext('2d')!;
      context.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
      const room = input.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
      return { text: context.measureText(input.placeholder).width, room };
    });
    expect(fits.text).toBeLessThanOrEqual(fits.room);
  });

  it("issue 22's export lows: the subsets are offered, labels stand apart from their keys, files are named after what they hold", async () => {
    const [a, b] = [sweep.ids[1], sweep.ids[0]];
    await page.goto(`${serve.origin}/#/export?ids=${a},${b}`);
    const pick = page.locator('.pick');
    await pick.locator('label', { hasText: 'dataset.trainSubset' }).first().waitFor();
    await pick.locator('label', { hasText: 'dataset.testSubset' }).first().waitFor();
    // "best val acc" and its key bestValidationAccuracy do not run into each other.
    const gap = await pick.locator('label', { hasText: 'bestValidationAccuracy' }).first().evaluate((label) => {
      const [text, key] = [label.querySelector('.column-label')!, label.querySelector('.column-key')!].map((e) => e.getBoundingClientRect());
      return key.left - text.right;
    });
    expect(gap).toBeGreaterThanOrEqual(4);
    await page.waitForFunction(() => (document.querySelector('[data-testid="export-preview"]')?.textContent ?? '').includes('\n'));
    const save = async () => (await Promise.all([page.waitForEvent('download'), page.click('button:has-text("Save")')]))[0].suggestedFilename();
    expect(await save()).toBe(`runs-${Math.min(a, b)}-${Math.max(a, b)}.csv`);
    await page.locator('.pick h2:has-text("Group by") ~ label', { hasText: 'model.kernel.type' }).first().locator('input').check();
    await page.click('[role="radio"]:has-text("Markdown")');
    await page.waitForFunction(() => (document.querySelector('[data-testid="export-preview"]')?.textContent ?? '').startsWith('|'));
    expect(await save()).toBe(`runs-${Math.min(a, b)}-${Math.max(a, b)}-by-model.kernel.type.md`);
  });

  it('draws parallel coordinates of a 24-run sweep and opens the brushed runs in Compare', async () => {
    await page.goto(`${serve.origin}/#/analysis?group=${sweep.groupId}`);
    const chart = page.locator('[aria-label="Parallel coordinates"]');
    await chart.waitFor();
    await page.waitForFunction(() => Number(document.querySelector('[aria-label="Parallel coordinates"]')?.getAttribute('data-points')) === 24);
    expect(await page.textContent('.screen-header')).toContain('24 runs');
    // Axes: kernel type, learning rate, then the metrics; brush the top of "best val acc" (the third axis).
    const axisCount = await page.evaluate(() => document.querySelector('.analysis h2 .muted')?.textContent ?? '');
    const [fields, metrics] = (axisCount.match(/\d+/g) ?? []).map(Number);
    expect(fields).toBe(2);
    await brushParallel(2, fields + metrics);
    const compare = page.locator('[data-testid="brush-selection"] button:has-text("Compare")');
    await compare.waitFor();
    const chosen = await brushed();
    expect(chosen.length).toBeGreaterThanOrEqual(2);
    expect(chosen.length).toBeLessThan(24);
    await shot('parallel-coordinates-24-runs');
    await expectBestOfSweep(chosen);
    await compare.click();
    await page.waitForURL(/#\/compare\?ids=/);
    await page.locator('[data-testid="compare-metrics"] tbody tr').nth(chosen.length - 1).waitFor();
    expect(await page.locator('[data-testid="compare-metrics"] tbody tr').count()).toBe(chosen.length);
  });

  it('brushes a rectangle on the scatter, colours it by the chosen metric, and shows what the parallel coordinates selected (issue 22 bug 3)', async () => {
    await page.goto(`${serve.origin}/#/analysis?group=${sweep.groupId}`);
    const scatter = page.locator('[aria-label="Scatter"]');
    await page.waitForFunction(() => Number(document.querySelector('[aria-label="Scatter"]')?.getAttribute('data-points')) === 24);
    await page.waitForTimeout(300);
    // Coloured by "best val acc" on the scale (red low, green high), not one blue for every run.
    const coloured = async () => (await Promise.all(COLOUR_SCALE.map((c) => pixelsOf('[aria-label="Scatter"]', c)))).reduce((a, b) => a + b, 0);
    expect(await pixelsOf('[aria-label="Scatter"]', COLOUR_SCALE[0])).toBeGreaterThan(10);
    expect(await pixelsOf('[aria-label="Scatter"]', COLOUR_SCALE[2])).toBeGreaterThan(10);
    expect(await pixelsOf('[aria-label="Scatter"]', '#2f6fb0')).toBeLessThan(10);
    const allPoints = await coloured();

    // Runs brushed on the parallel coordinates stand out on the scatter; the others fade.
    const axisCount = (await page.textContent('.analysis h2 .muted'))!.match(/\d+/g)!.map(Number);
    await brushParallel(2, axisCount[0] + axisCount[1]);
    const fromParallel = await brushed();
    await expect.poll(coloured).toBeLessThan(allPoints * 0.8);
    await page.screenshot({ path: join(RESULTS, 'scatter-shows-parallel-selection.png') });

    // A rectangle over the upper part of the plot selects the best runs.
    await scatter.scrollIntoViewIfNeeded();
    const box = (await scatter.boundingBox())!;
    await page.mouse.move(box.x + 80, box.y + 34);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2, box.y + box.height * 0.3, { steps: 8 });
    await page.mouse.move(box.x + box.width - 130, box.y + box.height * 0.45, { steps: 8 });
    await page.mouse.up();
    await expect.poll(async () => (await brushed()).join(',')).not.toBe(fromParallel.join(','));
    const chosen = await brushed();
    expect(chosen.length).toBeGreaterThanOrEqual(1);
    expect(chosen.length).toBeLessThan(24);
    await expectBestOfSweep(chosen);
    // The rectangle stays, and so does its selection (a re-drawn chart would drop both).
    await page.locator('h1').click();
    expect(await brushed()).toEqual(chosen);
    await page.locator('[aria-label="Scatter"]').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(RESULTS, 'scatter-brushed.png') });
  });

  it('sets two runs\' predictions side by side with flips highlighted, and their confusion difference', async () => {
    const [a, b] = [sweep.ids[0], sweep.ids[23]];
    await page.goto(`${serve.origin}/#/compare?ids=${a},${b}`);
    const table = page.locator('[data-testid="predictions-table"]');
    await table.waitFor();
    expect(await table.locator('tbody tr').count()).toBe(20);
    const flips = await table.locator('tbody tr[data-flip="true"]').count();
    expect(flips).toBeGreaterThan(0);
    expect(await page.textContent('[data-testid="predictions-summary"]')).toContain(`disagree on ${flips} of 20`);
    // A flip row: one run right (green), the other wrong (red).
    const row = table.locator('tbody tr[data-flip="true"]').first();
    expect(await row.locator('td.right').count()).toBe(1);
    expect(await row.locator('td.wrong').count()).toBe(1);
    await page.waitForFunction(() => Number(document.querySelector('[aria-label="Confusion difference"]')?.getAttribute('data-points')) === 100);
    await page.check('label:has-text("only disagreements") input');
    expect(await table.locator('tbody tr').count()).toBe(flips);
    await page.uncheck('label:has-text("only disagreements") input');
    await page.locator('[data-testid="predictions"]').scrollIntoViewIfNeeded();
    await page.waitForTimeout(300);
    await page.locator('[data-testid="predictions"]').screenshot({ path: join(RESULTS, 'predictions-2-runs.png') });

    // Issue 22 bug 6: runs that saw other images say so, and no headline counts disagreements on them.
    await page.goto(`${serve.origin}/#/compare?ids=${a},${run.otherSamples}`);
    await page.locator('[data-testid="predictions"] p', { hasText: 'saw different sample images' }).waitFor();
    expect(await page.locator('[data-testid="predictions-summary"]').count()).toBe(0);
  });

  it('plots the kervolution diagnostics of a run with learnable γ, by family', async () => {
    await openRun(run.gamma);
    const diagnostics = page.locator('[data-testid="diagnostics"]');
    await diagnostics.locator('[data-family="kernel"]').waitFor();
    expect(await diagnostics.locator('[data-family]').evaluateAll((els) => els.map((e) => e.getAttribute('data-family')))).toEqual([
      'kernel',
      'weight_norm',
      'grad_norm',
      'activation',
      'system',
    ]);
    const gamma = diagnostics.locator('[aria-label="Kernel gamma"]');
    expect(Number(await gamma.getAttribute('data-points'))).toBe(60); // 2 layers × 30 samples
    expect(await diagnostics.locator('[role="img"]').count()).toBe(7);
    // Issue 22: a family's only chart spans the section, not half of it.
    const [familyWidth, chartWidth] = await diagnostics.locator('[data-family="kernel"]').evaluate((family) => [family.getBoundingClientRect().width, family.querySelector('.chart-panel')!.getBoundingClientRect().width]);
    expect(chartWidth).toBeGreaterThan(0.95 * familyWidth);
    // A viewport tall enough for the whole section (the app scrolls inside <main>).
    await page.setViewportSize({ width: 1440, height: 3000 });
    await diagnostics.scrollIntoViewIfNeeded();
    await page.waitForTimeout(300);
    await diagnostics.screenshot({ path: join(RESULTS, 'diagnostics-learnable-gamma.png') });
    await page.setViewportSize({ width: 1440, height: 960 });
  });

  it('counts a run and its imported copy as one seed, and labels groups by the field that varies (issue 22 bugs 4 and 5)', async () => {
    // Gaussian at lr 0.01, seeds 0 and 1, and at lr 0.03, seed 0 (SWEEP_LRS order; two seeds per point).
    const [seed0, seed1, otherLr] = [sweep.ids[16], sweep.ids[17], sweep.ids[18]];
    const { path } = await apiCall(serve, 'runs:exportBundle', { ids: [seed1], path: 'copy.kervrun' });
    const [copy] = (await apiCall(serve, 'runs:importBundle', { path })).ids;
    const [a, b] = await Promise.all([seed0, seed1].map(async (id) => (await apiCall(serve, 'runs:get', { id })).bestValidationAccuracy!));
    const twoSeeds = `${(((a + b) / 2) * 100).toFixed(2)} ± ${((Math.abs(a - b) / Math.SQRT2) * 100).toFixed(2)}`;

    // Runs, grouped by config: the copy joins its experiment but not as a third seed.
    await page.goto(`${serve.origin}/#/runs`);
    await page.waitForSelector('tr[data-run-id]');
    await page.fill('[aria-label="Filter expression"]', ''); // an earlier test's filter
    await page.press('[aria-label="Filter expression"]', 'Enter');
    await page.check('label:has-text("Group by config") input');
    const group = page.locator('tr.group-row', { hasText: 'optimizer.lr=0.01 —' }).filter({ hasText: 'gaussian' });
    await group.waitFor();
    expect(await group.textContent()).toBe(`lenet5 · gaussian · fashion-mnist · optimizer.lr=0.01 — 3 runs, 2 seeds, best val ${twoSeeds}%`);
    expect(await page.textContent('[data-testid="seed-note"]')).toContain('count once');
    // Every group names its learning rate: no two labels read alike.
    const labels = await page.locator('tr.group-row .group-label').allTextContents();
    for (const lr of SWEEP_LRS) expect(labels).toContain(`lenet5 · gaussian · fashion-mnist · optimizer.lr=${lr}`);
    expect(new Set(labels).size).toBe(labels.length);
    await page.uncheck('label:has-text("Group by config") input');

    // Compare's groups: the same figure, and labels that tell lr 0.01 from lr 0.03.
    await page.goto(`${serve.origin}/#/compare?ids=${seed0},${seed1},${copy},${otherLr}`);
    const rows = page.locator('[data-testid="compare-groups"] tbody tr');
    await rows.nth(1).waitFor();
    expect(await rows.nth(0).locator('td').allTextContents()).toEqual([
      'lenet5 · gaussian · fashion-mnist · optimizer.lr=0.01',
      `#${seed0}, #${seed1}, #${copy}`,
      '2',
      twoSeeds,
      expect.stringMatching(/ ± /),
    ]);
    expect(await rows.nth(1).locator('td').first().textContent()).toBe('lenet5 · gaussian · fashion-mnist · optimizer.lr=0.03');
    await apiCall(serve, 'runs:delete', { ids: [copy] });
  });

  it("issue 22's run-page lows: distinct learning-rate labels, a confusion cell says how many of its images have pictures", async () => {
    await openRun(run.gamma);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[aria-label="Save Learning rate as SVG"]')]);
    const file = join(RESULTS, 'learning-rate-axis.svg');
    await download.saveAs(file);
    const labels = [...readFileSync(file, 'utf8').matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]).filter((l) => /^0\.00/.test(l));
    expect(labels.length).toBeGreaterThanOrEqual(3);
    expect(new Set(labels).size).toBe(labels.length);

    // A diagonal cell of a class some sample is right on: a few of its many images are samples.
    await openRun(sweep.ids[0]);
    const right = page.locator('[data-testid="samples"] [data-testid="sample"][data-wrong="false"]').first();
    const label = Number(await right.getAttribute('data-label'));
    const chart = page.locator('[aria-label="Confusion matrix"]');
    await chart.scrollIntoViewIfNeeded();
    const box = (await chart.boundingBox())!;
    const { left, right: rightInset, top, bottom } = CONFUSION_GRID;
    const cellWidth = (box.width - left - rightInset) / 10;
    const cellHeight = (box.height - top - bottom) / 10;
    await page.mouse.click(box.x + left + (label + 0.5) * cellWidth, box.y + top + (label + 0.5) * cellHeight);
    const caption = page.locator('[role="dialog"] [data-testid="cell-caption"]');
    await caption.waitFor();
    const metrics = await apiCall(serve, 'runs:metrics', { id: sweep.ids[0] });
    const inCell = metrics.epochs.at(-1)!.confusion[label][label];
    const shown = await page.locator('[role="dialog"] [data-testid="sample"]').count();
    expect(shown).toBeGreaterThan(0);
    expect(await caption.textContent()).toBe(`${shown} of the ${inCell} validation images in this cell; only the 20 fixed samples have images.`);
    await page.keyboard.press('Escape');
  });

  it('keeps chart settings across reloads and follows the OS into dark mode', async () => {
    await openRun(run.gamma);
    await page.selectOption('[aria-label="X axis"]', 'epoch');
    await page.fill('[aria-label="Smoothing"]', '0.9');
    await page.reload();
    await page.waitForSelector('[data-testid="progress"]');
    expect(await page.inputValue('[aria-label="X axis"]')).toBe('epoch');
    expect(await page.inputValue('[aria-label="Smoothing"]')).toBe('0.9');
    await page.selectOption('[aria-label="X axis"]', 'step');
    const background = () => page.evaluate(() => getComputedStyle(document.querySelector('.panel')!).backgroundColor);
    const light = await background();
    await page.emulateMedia({ colorScheme: 'dark' });
    await expect.poll(background).not.toBe(light);
    const [r, g, b] = (await background()).match(/\d+/g)!.map(Number);
    expect(r + g + b).toBeLessThan(3 * 80);
    // Issue 22: a misclassified sample's caption reads on its tile (WCAG AA: 4.5:1), as it does in light mode.
    const contrast = () =>
      page.locator('[data-testid="sample"][data-wrong="true"]').first().evaluate((tile) => {
        const rgb = (css: string) => css.match(/[\d.]+/g)!.slice(0, 3).map(Number);
        const luminance = (css: string) => {
          const [r, g, b] = rgb(css).map((c) => (c / 255 <= 0.03928 ? c / 255 / 12.92 : ((c / 255 + 0.055) / 1.055) ** 2.4));
          return 0.2126 * r + 0.7152 * g + 0.0722 * b;
        };
        const back = luminance(getComputedStyle(tile).backgroundColor);
        return Math.min(
          ...[...tile.querySelectorAll('figcaption div')].map((text) => {
            const fore = luminance(getComputedStyle(text).color);
            return (Math.max(fore, back) + 0.05) / (Math.min(fore, back) + 0.05);
          }),
        );
      });
    expect(await contrast()).toBeGreaterThanOrEqual(4.5);
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(RESULTS, 'dark-mode-run-detail.png') });
    await page.goto(`${serve.origin}/#/compare?ids=${sweep.ids.slice(0, 8).join(',')}`);
    await page.waitForFunction(() => Number(document.querySelector('[aria-label="train loss"]')?.getAttribute('data-points')) > 0);
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(RESULTS, 'dark-mode-compare.png') });
    await page.emulateMedia({ colorScheme: 'light' });
    expect(ui.pageErrors).toEqual([]);
  });
});
