// The researcher's loop (issue 22's features), in Chromium against a real
// `kerv serve` training real runs: early stopping from the form, with the stop
// marked on the curves.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { apiCall, type ServeProcess } from './harness';
import { openUiSession, screenshotScreen, type UiSession } from './ui-session';

const TIMEOUT = 120_000;

describe("the researcher's loop in Chromium", () => {
  let ui: UiSession;
  let serve: ServeProcess;
  let page: Page;

  beforeAll(async () => {
    ui = await openUiSession('kerv-e2e-loop-');
    ({ serve, page } = ui);
  }, 180_000);

  afterAll(async () => {
    await ui?.close();
  });

  /** The New Run form with a quick run: a quarter-width MLP on 500 Fashion-MNIST images. */
  async function openSmallRunForm(name: string, epochs: number) {
    await page.goto(`${serve.origin}/#/new`);
    await page.waitForSelector('[name="epochs"]');
    await page.fill('[name="name"]', name);
    await page.selectOption('[name="model.arch"]', 'mlp');
    await page.fill('[name="model.widthMultiplier"]', '0.25');
    await page.fill('[name="dataset.trainSubset"]', '500');
    await page.fill('[name="dataset.testSubset"]', '200');
    await page.fill('[name="epochs"]', String(epochs));
    await page.selectOption('[name="backend"]', 'wasm');
  }

  it('early stopping from the form: the run stops when validation loss stalls, says why, and its curves mark the stop and the best epoch', async () => {
    await openSmallRunForm('early stop', 6);
    await page.check('[name="earlyStopping"]');
    // Its settings appear with their defaults once it is on.
    expect(await page.inputValue('[name="earlyStopping.patience"]')).toBe('5');
    await page.selectOption('[name="earlyStopping.metric"]', 'validationLoss');
    await page.fill('[name="earlyStopping.patience"]', '1');
    // Nothing beats epoch 1's validation loss by 10 nats: the run stops after epoch 2.
    await page.fill('[name="earlyStopping.minDelta"]', '10');
    await page.click('button.primary:has-text("Start now")');
    await page.waitForURL(/#\/runs\/\d+$/);
    const id = Number(/#\/runs\/(\d+)$/.exec(page.url())![1]);
    await page.waitForSelector('.screen-header [data-status="completed"]', { timeout: TIMEOUT });

    const run = await apiCall(serve, 'runs:get', { id });
    expect(run.config.earlyStopping).toEqual({ metric: 'validationLoss', patience: 1, minDelta: 10, restoreBest: true });
    expect(run.summary?.earlyStopping).toMatchObject({ stoppedAtEpoch: 2, bestEpoch: 1 });
    expect(run.summary?.testedOn).toEqual({ model: 'best', epoch: 1 });
    const note = await page.textContent('[data-testid="early-stopped"]');
    expect(note).toMatch(/Stopped early after epoch 2 of 6: validation loss did not improve by more than 10 for 1 epoch \(best \d\.\d{4} at epoch 1\)\./);
    expect(note).toContain('evaluated on the weights of epoch 1 (the best)');
    for (const chart of ['Loss', 'Accuracy']) {
      expect(await page.getAttribute(`[aria-label="${chart}"]`, 'data-marks')).toBe('best (epoch 1)|stopped early (epoch 2)');
    }
    expect((await apiCall(serve, 'runs:log', { id })).map((l) => l.message)).toContain(`Stopped early after epoch 2 of 6: ${run.summary!.earlyStopping!.reason}.`);
    await screenshotScreen(page, 'early-stopped');
  });

  it('threw nothing on any page', () => {
    expect(ui.pageErrors).toEqual([]);
  });
});
