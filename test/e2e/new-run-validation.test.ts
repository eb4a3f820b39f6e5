// Issue 12, bugs 2 and 3, in Chromium against a real `kerv serve`:
// - a kervolution layer list out of range (0,7 on LeNet-5, which has 2
//   convolutions) is shown next to its field and no run is created, even when
//   Start is pressed at once after typing (the form validates before it starts);
// - run numbers are never reused: after the newest run is deleted, the next run
//   the form creates gets a new number;
// - issue 22 bug 1: every preset fills the form with its values;
// - issue 22's low: a train or test subset larger than Fashion-MNIST's split is
//   named next to its field with the split's size, and no run is created.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { flattenConfig } from '../../src-main/shared/config-paths';
import { ALL_FIELDS, selectText, toInputText } from '../../src-renderer/src/lib/config-fields';
import { recordRun } from '../integration/server/recorded-run';
import { apiCall, RESULTS, type ServeProcess } from './harness';
import { openUiSession, type UiSession } from './ui-session';

describe('the New Run form and run numbers in Chromium', () => {
  let ui: UiSession;
  let serve: ServeProcess;
  let page: Page;

  beforeAll(async () => {
    ui = await openUiSession('kerv-e2e-newrun-', (store) => {
      recordRun(store, 'first', { epochs: 2 });
      recordRun(store, 'second', { epochs: 2 });
    });
    ({ serve, page } = ui);
  }, 180_000);

  afterAll(async () => {
    await ui?.close();
  });

  async function openForm() {
    await page.goto(`${serve.origin}/#/runs`);
    await page.waitForSelector('.runs-table');
    await page.keyboard.press('Control+n');
    await page.waitForSelector('[name="model.arch"]');
  }

  it('bug 2: kervLayers 0,7 on lenet5 is shown next to its field and no run is created', async () => {
    const before = (await apiCall(serve, 'runs:list', {})).total;
    await openForm();
    await page.selectOption('[name="model.arch"]', 'lenet5');
    await page.selectOption('[name="model.kernel.type"]', 'polynomial');
    await page.fill('[name="model.kervLayers"]', '0,7');
    // At once, before the form's own check has run.
    await page.click('button.primary:has-text("Start now")');
    const issue = page.locator('[data-field="model.kervLayers"] .issue');
    await issue.waitFor();
    expect(await issue.textContent()).toBe('lenet5 has 2 convolutions (indices 0-1); index 7 is out of range');
    await page.screenshot({ path: join(RESULTS, 'new-run-kerv-layers-out-of-range.png') });
    expect(page.url()).not.toMatch(/#\/runs\/\d+$/);
    expect((await apiCall(serve, 'runs:list', {})).total).toBe(before);

    // Within range, the issue goes and the run can be created.
    await page.fill('[name="model.kervLayers"]', '0,1');
    await issue.waitFor({ state: 'detached' });
  });

  it('bug 3: after the newest run is deleted, the next run gets a new number', async () => {
    const { rows } = await apiCall(serve, 'runs:list', { sortBy: 'id', sortDir: 'desc' });
    const newest = rows[0].id;
    await apiCall(serve, 'runs:delete', { ids: [newest] });
    await openForm();
    await page.selectOption('[name="model.arch"]', 'mlp');
    await page.fill('[name="dataset.trainSubset"]', '500');
    await page.fill('[name="dataset.testSubset"]', '200');
    await page.fill('[name="epochs"]', '1');
    await page.selectOption('[name="backend"]', 'wasm');
    await page.click('button:has-text("Add to queue")');
    await page.waitForURL(/#\/runs\/\d+$/);
    const created = Number(/#\/runs\/(\d+)$/.exec(page.url())![1]);
    expect(created).toBe(newest + 1);
    await apiCall(serve, 'runs:cancel', { id: created }).catch(() => undefined);
    expect(ui.pageErrors).toEqual([]);
  });

  it("issue 14: γ takes 'auto' (the Gaussian default) or a number; anything else is named next to the field; kervNorm is a choice", async () => {
    await openForm();
    await page.selectOption('[name="model.arch"]', 'lenet5');
    await page.selectOption('[name="model.kernel.type"]', 'gaussian');
    const gamma = page.locator('[name="model.kernel.gamma"]');
    expect(await gamma.inputValue()).toBe('auto');
    expect(await page.locator('[data-field="model.kernel.gamma"] .default').textContent()).toBe('default auto');
    await gamma.fill('wide');
    const issue = page.locator('[data-field="model.kernel.gamma"] .issue');
    await issue.waitFor();
    expect(await issue.textContent()).toBe('must be "auto" or a number > 0');
    await gamma.fill('0.05');
    await issue.waitFor({ state: 'detached' });
    await gamma.fill('auto');
    await page.selectOption('[name="model.kervNorm"]', 'batch');
    await page.fill('[name="dataset.trainSubset"]', '200');
    await page.fill('[name="dataset.testSubset"]', '100');
    await page.fill('[name="epochs"]', '1');
    await page.selectOption('[name="backend"]', 'wasm');
    await page.screenshot({ path: join(RESULTS, 'new-run-gamma-auto.png') });
    await page.click('button:has-text("Add to queue")');
    await page.waitForURL(/#\/runs\/\d+$/);
    const created = Number(/#\/runs\/(\d+)$/.exec(page.url())![1]);
    const run = await apiCall(serve, 'runs:get', { id: created });
    expect(run.config.model).toMatchObject({ kernel: { type: 'gaussian', gamma: 'auto' }, kervNorm: 'batch', kervActivation: 'arch' });
    await apiCall(serve, 'runs:cancel', { id: created }).catch(() => undefined);
    expect(ui.pageErrors).toEqual([]);
  });

  it('issue 22 bug 1: every preset puts its values into the form', async () => {
    const { presets } = await apiCall(serve, 'config:defaults', undefined);
    expect(presets.length).toBeGreaterThan(1);
    await openForm();
    for (const preset of presets) {
      await page.selectOption('[aria-label="Preset"]', preset.id);
      const values = Object.entries(flattenConfig(preset.config));
      expect(values.length).toBeGreaterThan(1);
      for (const [path, value] of values) {
        const field = ALL_FIELDS.find((f) => f.path === path);
        if (!field) throw new Error(`preset ${preset.id}: ${path} has no form field`);
        const input = page.locator(`[name="${path}"]`);
        if (field.kind === 'boolean') await expect.poll(() => input.isChecked(), { message: `${preset.id}: ${path}` }).toBe(value === true);
        else {
          const shown = field.kind === 'select' ? selectText(field, value) : toInputText(field.kind, value);
          await expect.poll(() => input.inputValue(), { message: `${preset.id}: ${path}` }).toBe(shown);
        }
      }
    }
    await page.screenshot({ path: join(RESULTS, 'new-run-preset.png') });
    expect(ui.pageErrors).toEqual([]);
  });

  it("issue 22: a train subset of 999,999,999 is refused next to its field with Fashion-MNIST's size, and no run is created", async () => {
    const before = (await apiCall(serve, 'runs:list', {})).total;
    await openForm();
    await page.selectOption('[name="dataset.name"]', 'fashion-mnist');
    await page.fill('[name="dataset.trainSubset"]', '999999999');
    await page.fill('[name="dataset.testSubset"]', '20000');
    await page.click('button.primary:has-text("Start now")');
    const train = page.locator('[data-field="dataset.trainSubset"] .issue');
    await train.waitFor();
    expect(await train.textContent()).toBe("999999999 is more than Fashion-MNIST's 54000 training images (60000, less the 6000 that dataset.validationFraction 0.1 holds out for validation)");
    expect(await page.locator('[data-field="dataset.testSubset"] .issue').textContent()).toBe("20000 is more than Fashion-MNIST's 10000 test images");
    await page.screenshot({ path: join(RESULTS, 'new-run-subset-too-large.png') });
    expect(page.url()).not.toMatch(/#\/runs\/\d+$/);
    expect((await apiCall(serve, 'runs:list', {})).total).toBe(before);
    // An image folder's size is a choice, 32 by default, whatever Fashion-MNIST's 28 was.
    await page.selectOption('[name="dataset.name"]', 'image-folder');
    expect(await page.locator('[name="dataset.imageSize"]').inputValue()).toBe('32');
    await page.selectOption('[name="dataset.name"]', 'fashion-mnist');
    // The whole split is allowed; the issues go.
    await page.fill('[name="dataset.trainSubset"]', '54000');
    await page.fill('[name="dataset.testSubset"]', '10000');
    await train.waitFor({ state: 'detached' });
    await page.locator('[data-field="dataset.testSubset"] .issue').waitFor({ state: 'detached' });
    expect(ui.pageErrors).toEqual([]);
  });

  it("issue 22's form lows: Seed is no sweep field, one run reads '1 run', a repeated refusal is one toast", async () => {
    await openForm();
    await page.check('label:has-text("Sweep") input');
    await page.click('button:has-text("Add field")');
    const offered = await page.locator('[aria-label="Sweep field"] option').evaluateAll((options) => options.map((o) => (o as HTMLOptionElement).value));
    expect(offered).toContain('optimizer.lr');
    expect(offered).not.toContain('seed');
    await page.selectOption('[aria-label="Sweep field"]', 'optimizer.lr');
    await page.fill('[aria-label="Sweep values"]', '0.01');
    await page.locator('button.primary:has-text("Start sweep (1 run)")').waitFor();
    expect(await page.textContent('[data-testid="sweep-size"]')).toBe('1 run');
    await page.uncheck('label:has-text("Sweep") input');

    await page.fill('[name="epochs"]', '0');
    await page.locator('[data-field="epochs"] .issue').waitFor();
    for (let i = 0; i < 3; i++) {
      await page.click('button.primary:has-text("Start now")');
      await page.locator('.toast', { hasText: 'Nothing started' }).waitFor();
    }
    expect(await page.locator('.toast', { hasText: 'Nothing started' }).count()).toBe(1);
    // Another refusal replaces it, rather than stacking a second "Nothing started".
    await page.fill('[name="batchSize"]', '0');
    await page.locator('[data-field="batchSize"] .issue').waitFor();
    await page.click('button.primary:has-text("Start now")');
    await page.locator('.toast', { hasText: 'Nothing started: 2 fields need fixing' }).waitFor();
    expect(await page.locator('.toast', { hasText: 'Nothing started' }).allTextContents()).toEqual(['Nothing started: 2 fields need fixing (marked in the form).']);
    expect(ui.pageErrors).toEqual([]);
  });
});
