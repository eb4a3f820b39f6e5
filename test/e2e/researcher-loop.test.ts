// The researcher's loop (issue 22's features), in Chromium against a real
// `kerv serve` training real runs: early stopping from the form, with the stop
// marked on the curves; Compare's curves grouped over seeds (on six runs
// recorded through the real store: 2 kernels × 3 seeds); an ASHA sweep from the
// form, on the Hyperparameters screen and the run page.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { apiCall, type ServeProcess } from './harness';
import { openUiSession, screenshotScreen, type UiSession } from './ui-session';
import { recordAnalysisRun, recordSweep } from './seed-analysis';

const TIMEOUT = 120_000;

describe("the researcher's loop in Chromium", () => {
  let ui: UiSession;
  let serve: ServeProcess;
  let page: Page;
  const seeded: number[] = [];
  let sweep: { groupId: number; ids: number[] };

  beforeAll(async () => {
    ui = await openUiSession('kerv-e2e-loop-', (store) => {
      for (const [k, type] of (['polynomial', 'gaussian'] as const).entries()) {
        for (const seed of [0, 1, 2]) {
          seeded.push(recordAnalysisRun(store, { name: `${type} s${seed}`, config: { seed, model: { arch: 'lenet5', kernel: { type } } }, accuracy: 0.8 + 0.05 * k + 0.01 * seed }));
        }
      }
      sweep = recordSweep(store);
    });
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

  it('Compare draws runs grouped over seeds as a mean with a band, one legend entry per group', async () => {
    await page.goto(`${serve.origin}/#/compare?ids=${seeded.join(',')}`);
    const chart = page.locator('[aria-label="validation accuracy"]');
    await page.waitForFunction(() => Number(document.querySelector('[aria-label="validation accuracy"]')?.getAttribute('data-points')) > 0);
    // One curve per run, no in-chart legend.
    expect(await chart.getAttribute('data-legend')).toBeNull();
    expect(await chart.getAttribute('data-points')).toBe(String(6 * 3));

    await page.selectOption('[aria-label="Group curves by"]', 'experiment');
    await expect.poll(() => chart.getAttribute('data-legend')).toBe('lenet5 · polynomial · fashion-mnist (n=3)|lenet5 · gaussian · fashion-mnist (n=3)');
    // Per group and epoch: the band's lower edge, its height and the mean.
    expect(await chart.getAttribute('data-points')).toBe(String(2 * 3 * 3));
    await page.selectOption('[aria-label="Band"]', 'range');
    await page.selectOption('[aria-label="Group curves by"]', 'model.kernel.type');
    await expect.poll(() => page.getAttribute('[aria-label="train loss"]', 'data-legend')).toBe('type = polynomial (n=3)|type = gaussian (n=3)');
    await screenshotScreen(page, 'compare-grouped-bands');
  });

  it('the learning-rate finder from the New Run form: a live run, loss against lr with the suggestions marked, one click into the form, kept to look at again', async () => {
    await openSmallRunForm('lr found', 1);
    await page.click('button:has-text("Find lr…")');
    const dialog = page.locator('[data-testid="lr-finder"]');
    await dialog.waitFor();
    await page.fill('[aria-label="Finder steps"]', '80');
    await page.click('button:has-text("Run the finder")');
    const use = dialog.locator('[data-testid="lr-suggestions"] button', { hasText: 'steepest descent' });
    await use.waitFor({ timeout: TIMEOUT });
    const chart = dialog.locator('[aria-label="Loss against learning rate"]');
    expect(await chart.getAttribute('data-marks')).toMatch(/^steepest \d\.\de-?\d+\|min ÷ 10 \d\.\de[-+]?\d+$/);
    await screenshotScreen(page, 'lr-finder');

    const [finder] = await apiCall(serve, 'lrFind:list', undefined);
    const record = await apiCall(serve, 'lrFind:get', { id: finder.id });
    expect(record.status).toBe('completed');
    expect(record.config.model.arch).toBe('mlp');
    expect(record.result!.points.length).toBeGreaterThan(10);
    const steepest = record.result!.suggestions.steepest!;
    expect(await use.textContent()).toBe(`Use ${steepest.toExponential(1)} (steepest descent)`);
    await use.click();
    await dialog.waitFor({ state: 'detached' });
    expect(Number(await page.inputValue('[name="optimizer.lr"]'))).toBe(Number(steepest.toPrecision(2)));

    // Kept with the history: it opens again from the list.
    await page.click('button:has-text("Find lr…")');
    await dialog.locator('[data-testid="lr-history"] tr', { hasText: 'fashion-mnist · mlp' }).locator('button:has-text("show")').click();
    await dialog.locator('[data-testid="lr-suggestions"]').waitFor();
    await page.keyboard.press('Escape');
  });

  it('the Hyperparameters screen ranks the numeric fields by their rank correlation with the chosen metric', async () => {
    await page.goto(`${serve.origin}/#/analysis?group=${sweep.groupId}`);
    const table = page.locator('[data-testid="importance"]');
    await table.waitFor();
    // The recorded sweep peaks at lr 0.03–0.1 (not monotone): a small ρ, over 12 configs × 2 seeds = 24 replicates.
    const lr = table.locator('tr[data-field="config.optimizer.lr"]');
    expect(await lr.locator('td').nth(0).textContent()).toBe('optimizer.lr (log axis)');
    expect(Math.abs(Number(await lr.locator('td').nth(1).textContent()))).toBeLessThan(0.5);
    expect(await lr.locator('td').nth(3).textContent()).toBe('24');
    // Another metric ranks on it instead.
    await page.selectOption('[aria-label="Colour by"]', 'testAccuracy');
    await expect.poll(() => page.textContent('.panel:has([data-testid="importance"]) h2')).toContain('with Test acc');
  });

  it('raw data and charts out of the GUI: step series as CSV and JSON, a Compare chart as SVG and PNG, the trained model (last and best) in the tfjs format', async () => {
    const early = (await apiCall(serve, 'runs:list', { search: 'early stop' })).rows[0].id;
    await page.goto(`${serve.origin}/#/export?ids=${early}`);
    const [json] = await Promise.all([page.waitForEvent('download'), page.click('button:has-text("Series as JSON…")')]);
    expect(json.suggestedFilename()).toBe(`run-${early}-series.json`);
    const series = JSON.parse(readFileSync((await json.path())!, 'utf8')) as { runs: { id: number; steps: { step: number[] }; epochs: unknown[] }[] };
    expect(series.runs.map((r) => [r.id, r.steps.step.length, r.epochs.length])).toEqual([[early, 16, 2]]);
    const [csv] = await Promise.all([page.waitForEvent('download'), page.click('button:has-text("Series as CSV…")')]);
    expect(readFileSync((await csv.path())!, 'utf8').split('\r\n')[0]).toBe('run_id,run_name,step,epoch,wall_time_ms,metric,value');

    await page.goto(`${serve.origin}/#/compare?ids=${seeded.join(',')}`);
    await page.waitForFunction(() => Number(document.querySelector('[aria-label="train loss"]')?.getAttribute('data-points')) > 0);
    const [svg] = await Promise.all([page.waitForEvent('download'), page.click('[aria-label="Save train loss as SVG"]')]);
    expect(svg.suggestedFilename()).toBe('compare-trainLoss.svg');
    expect(readFileSync((await svg.path())!, 'utf8')).toMatch(/^<svg[\s\S]*<\/svg>$/);
    const [png] = await Promise.all([page.waitForEvent('download'), page.click('[aria-label="Save train loss as PNG"]')]);
    expect(readFileSync((await png.path())!).subarray(1, 4).toString()).toBe('PNG');

    // The early-stopped run's models: the last epoch's and the best epoch's, each a .json naming its .weights.bin.
    await page.goto(`${serve.origin}/#/runs/${early}`);
    for (const [button, which] of [['Export model', 'last'], ['Export best model', 'best']] as const) {
      const downloads: import('playwright-core').Download[] = [];
      const collect = (d: import('playwright-core').Download) => downloads.push(d);
      page.on('download', collect);
      await page.click(`.screen-header button:text-is("${button}")`);
      await expect.poll(() => downloads.length).toBe(2);
      page.off('download', collect);
      expect(downloads.map((d) => d.suggestedFilename())).toEqual([`run-${early}-${which}.json`, `run-${early}-${which}.weights.bin`]);
      const model = JSON.parse(readFileSync((await downloads[0].path())!, 'utf8')) as { weightsManifest: { paths: string[] }[] };
      expect(model.weightsManifest[0].paths).toEqual([`./run-${early}-${which}.weights.bin`]);
      const checkpointDir = join(ui.dataDir, 'runs', String(early), 'checkpoint');
      const [last] = readdirSync(checkpointDir).filter((n) => n.startsWith('step-')).sort().reverse();
      expect(readFileSync((await downloads[1].path())!).equals(readFileSync(join(checkpointDir, last, which === 'best' ? 'best.bin' : 'weights.bin')))).toBe(true);
    }
  });

  it('an ASHA sweep from the New Run form stops the runs below the rung’s cutoff; the Hyperparameters screen shows where each stopped, the run page why', async () => {
    await openSmallRunForm('asha sweep', 3);
    await page.check('.screen-header label:has-text("Sweep") input[type="checkbox"]');
    await page.click('button:has-text("Add field")');
    await page.selectOption('[aria-label="Sweep field"]', 'optimizer.lr');
    // With one run at a time the rung sees them in this order: a rate that learns, then two too small to move the weights.
    await page.fill('[aria-label="Sweep values"]', '0.01, 1e-7, 2e-7');
    await page.check('label:has-text("Stop bad runs early (ASHA)") input');
    await page.fill('[aria-label="ASHA min epochs"]', '1');
    expect(await page.inputValue('[aria-label="ASHA eta"]')).toBe('3');
    // One rung (epoch 1 of 3): 3 runs × 1 epoch, then the top third (1 run) 2 more: 5 of 9 epochs.
    await expect
      .poll(async () => (await page.textContent('[data-testid="asha-estimate"]'))?.replace(/\s+/g, ' '))
      .toMatch(/Rungs at epoch 1 of 3: after each, a run below the top 1\/3 of those that got there before it stops\. .* these runs would train 5 of 9 epochs \(44% fewer\)/);
    await page.click('button.primary:has-text("Start sweep (3 runs)")');
    await page.waitForURL(/#\/runs$/);
    const group = (await apiCall(serve, 'groups:list', undefined)).find((g) => g.name === 'asha sweep')!;
    expect(group.asha).toEqual({ minEpochs: 1, eta: 3, metric: 'validationAccuracy' });
    const { rows } = await apiCall(serve, 'runs:list', { groupId: group.id, sortBy: 'id', sortDir: 'asc' });
    const [good, tiny1, tiny2] = rows.map((r) => r.id);
    await expect.poll(async () => (await apiCall(serve, 'runs:list', { groupId: group.id, status: ['completed'] })).total, { timeout: TIMEOUT * 2 }).toBe(3);

    await page.goto(`${serve.origin}/#/analysis?group=${group.id}`);
    const panel = page.locator('[data-testid="asha"]');
    await panel.waitFor();
    expect((await page.textContent('[data-testid="asha-summary"]'))?.replace(/\s+/g, ' ')).toMatch(/2 runs stopped at a rung, 1 run trained all 3 epochs: 5 epochs trained of the 9 the full grid would train \(44% fewer\)\./);
    // One rung: epoch 1, reached by 3 runs, 1 went on, 2 stopped; its best value and the cutoff a run arriving now would face.
    expect(await page.locator('[data-testid="asha-rungs"] tbody tr').count()).toBe(1);
    const cells = await page.locator('[data-testid="asha-rungs"] tbody td').allTextContents();
    expect(cells.slice(0, 4)).toEqual(['1', '3', '1', '2']);
    expect(cells.slice(4)).toEqual([expect.stringMatching(/^\d+\.\d\d%$/), expect.stringMatching(/^\d+\.\d\d%$/)]);
    const stopped = await page.locator('[data-testid="asha-stopped-runs"] tbody tr a').allTextContents();
    expect(stopped.map((t) => Number(/^#(\d+)/.exec(t)![1]))).toEqual([tiny1, tiny2]);
    // The parallel coordinates gain an "Epochs trained" axis: a metric that varies, offered to colour by.
    expect(await page.locator('[aria-label="Colour by"] option').allTextContents()).toContain('Epochs trained');
    await page.selectOption('[aria-label="Colour by"]', { label: 'Epochs trained' });
    await screenshotScreen(page, 'asha-sweep');

    await page.click(`[data-testid="asha-stopped-runs"] a:has-text("#${tiny1} ")`);
    await page.waitForURL(new RegExp(`#/runs/${tiny1}$`));
    const note = (await page.textContent('[data-testid="asha-stopped"]'))?.replace(/\s+/g, ' ');
    expect(note).toMatch(/Stopped by ASHA at epoch 1 of 3 \(validation accuracy \d+\.\d\d% below the rung's cutoff \d+\.\d\d%; only the top 1\/3 of the sweep's runs go on\)\. The test set was evaluated on the weights of epoch 1\./);
    for (const chart of ['Loss', 'Accuracy']) expect(await page.getAttribute(`[aria-label="${chart}"]`, 'data-marks')).toBe('stopped by ASHA (epoch 1)');
    expect((await apiCall(serve, 'runs:get', { id: good })).summary!.epochs).toBe(3);
  });

  it('threw nothing on any page', () => {
    expect(ui.pageErrors).toEqual([]);
  });
});
