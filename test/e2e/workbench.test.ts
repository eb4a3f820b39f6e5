// The workbench UI end to end, in Chromium, against a real `kerv serve`: runs
// train for real (a small Fashion-MNIST subset, an MLP, batch 64), so every
// screen shows what a user would see. The scenarios build on each other (the
// runs of the first ones are compared and exported later), so they run in order
// in one browser page.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import WebSocket from 'ws';
import { CONFUSION_GRID } from '../../src-renderer/src/lib/curves';
import { apiCall, RESULTS, ROOT, type ServeProcess } from './harness';
import { openUiSession, screenshotScreen, type UiSession } from './ui-session';

const STEP_TIMEOUT = 90_000;

describe('workbench UI in Chromium', () => {
  let ui: UiSession;
  let serve: ServeProcess;
  let page: Page;
  let firstRunId = 0;
  let secondRunId = 0;
  let architecturePreview: string | null = null;

  beforeAll(async () => {
    ui = await openUiSession('kerv-e2e-');
    ({ serve, page } = ui);
  }, 180_000);

  afterAll(async () => {
    // The server shuts down cleanly on SIGTERM.
    expect(await ui?.close()).toBe(0);
  });

  const shot = (name: string) => screenshotScreen(page, name);

  async function fillField(path: string, value: string) {
    await page.fill(`[name="${path}"]`, value);
  }

  /** Fills the form for a small, quick run: an MLP on 1,000 Fashion-MNIST images. */
  async function fillSmallRun(name: string, epochs: number, trainSubset: number) {
    // Ctrl+N opens the form from anywhere.
    await page.goto(`${serve.origin}/#/runs`);
    await page.waitForSelector('.runs-table');
    await page.keyboard.press('Control+n');
    await page.waitForSelector('[name="epochs"]');
    await fillField('name', name);
    await page.selectOption('[name="dataset.name"]', 'fashion-mnist');
    await fillField('dataset.trainSubset', String(trainSubset));
    await fillField('dataset.testSubset', '500');
    await page.selectOption('[name="model.arch"]', 'mlp');
    await fillField('epochs', String(epochs));
    await fillField('batchSize', '64');
    await fillField('sampleCount', '32');
    await page.selectOption('[name="backend"]', 'wasm');
    // The service validated the config, then described the model (or said why it could not).
    await page.waitForFunction(
      () => !!document.querySelector('[data-testid="layer-table"]') || /^mlp/.test(document.querySelector('.side .error')?.textContent ?? ''),
    );
    expect(await page.locator('.field .issue').count()).toBe(0);
    architecturePreview = (await page.locator('[data-testid="layer-table"]').count()) > 0 ? 'shown' : await page.textContent('.side .error');
  }

  async function startFromForm(how: 'click' | 'keyboard' = 'click'): Promise<number> {
    if (how === 'keyboard') await page.keyboard.press('Control+Enter');
    else await page.click('button.primary:has-text("Start now")');
    await page.waitForURL(/#\/runs\/\d+$/);
    return Number(/#\/runs\/(\d+)$/.exec(page.url())![1]);
  }

  async function pointsIn(chart: string): Promise<number> {
    return Number(await page.locator(`[aria-label="${chart}"]`).first().getAttribute('data-points'));
  }

  /** The run's step count, once its worker has started and said it. */
  async function totalStepsOf(id: number): Promise<number> {
    const total = async () => (await apiCall(serve, 'runs:get', { id })).totalSteps ?? 0;
    await expect.poll(total, { timeout: STEP_TIMEOUT }).toBeGreaterThan(0);
    return total();
  }

  async function waitForStatus(status: string, timeout = STEP_TIMEOUT) {
    await page.waitForSelector(`.screen-header [data-status="${status}"]`, { timeout });
  }

  it('refuses pages and the API without the token', async () => {
    const noToken = await fetch(`${serve.origin}/`);
    expect(noToken.status).toBe(401);
    const wrongToken = await fetch(`${serve.origin}/?token=${'x'.repeat(serve.token.length)}`, { redirect: 'manual' });
    expect(wrongToken.status).toBe(401);
    const socketError = await new Promise<string>((resolve) => {
      const ws = new WebSocket(`${serve.origin.replace('http', 'ws')}/ws`);
      ws.on('open', () => resolve('opened'));
      ws.on('error', (error) => resolve(error.message));
    });
    expect(socketError).toMatch(/401/);
    // A fresh browser profile (no cookie) gets the refusal too.
    const stranger = await ui.browser.newContext();
    const strangerPage = await stranger.newPage();
    const response = await strangerPage.goto(`${serve.origin}/`);
    expect(response?.status()).toBe(401);
    expect(await strangerPage.textContent('body')).toContain('Unauthorized');
    await stranger.close();
  });

  it('shows a bad form value next to its field and starts nothing', async () => {
    await page.goto(`${serve.origin}/#/new`);
    await page.waitForSelector('[name="epochs"]');
    await fillField('epochs', '0');
    await fillField('optimizer.lr', 'fast');
    const epochsIssue = page.locator('[data-field="epochs"] .issue');
    await epochsIssue.waitFor();
    expect(await epochsIssue.textContent()).toMatch(/>=\s*1|at least 1|too small/i);
    expect(await page.locator('[data-field="optimizer.lr"] .issue').textContent()).toMatch(/number/i);
    await shot('new-run-invalid');
    await page.click('button.primary:has-text("Start now")');
    await page.locator('.toast.error').first().waitFor();
    expect(page.url()).toMatch(/#\/new$/);
    await page.goto(`${serve.origin}/#/runs`);
    await page.waitForSelector('.runs-table');
    await page.locator('text=No runs yet').waitFor();
  });

  it('creates a run from the form and shows its curves and samples filling in while it trains', async () => {
    await fillSmallRun('e2e first', 2, 1000);
    await shot('new-run');
    const preview = architecturePreview;
    // Held at step 5 of its 30 until the chart has shown its first points: it fills in while the run trains.
    ui.hold.at(5);
    firstRunId = await startFromForm('keyboard');
    await page.waitForFunction(() => Number(document.querySelector('[aria-label="Loss"]')?.getAttribute('data-points')) > 0, null, { timeout: STEP_TIMEOUT });
    const early = await pointsIn('Loss');
    // Still held: what the chart shows is at most the first 5 of the run's 30 steps.
    expect((await apiCall(serve, 'runs:get', { id: firstRunId })).step).toBeLessThanOrEqual(5);
    ui.hold.release();
    // The sample grid fills with predictions once the first epoch is evaluated.
    await page.waitForSelector('[data-testid="sample"] .guess span', { timeout: STEP_TIMEOUT });
    await waitForStatus('completed');
    expect(await pointsIn('Loss')).toBeGreaterThan(early);
    expect(await page.locator('[data-testid="sample"]').count()).toBe(32);
    expect(await page.locator('[data-testid="per-class"] tr').count()).toBe(10);
    expect(await page.textContent('[data-testid="best-val"]')).toMatch(/\d+\.\d\d%/);
    await page.waitForTimeout(300);
    await shot('run-detail');
    await page.evaluate(() => document.querySelector('main')!.scrollTo(0, 0));
    for (const toast of await page.locator('.toast').all()) await toast.click().catch(() => {});
    // The README's screenshot is this picture; refresh it with KERV_UPDATE_SCREENSHOT=1
    // so an ordinary test run never edits a tracked file.
    const readmeShot = process.env.KERV_UPDATE_SCREENSHOT ? join(ROOT, 'docs', 'screenshot-run-detail.png') : join(ROOT, 'test-results', 'e2e', 'readme-run-detail.png');
    await page.screenshot({ path: readmeShot });
    // Checked last so a broken preview does not hide whether training works.
    expect(preview, 'the architecture preview (models:describe)').toBe('shown');
  });

  it('opens the images of a confusion-matrix cell', async () => {
    // Pick a (true, predicted) pair present among the sample images, then click its cell.
    const tile = page.locator('[data-testid="sample"][data-wrong="false"]').first();
    const label = Number(await tile.getAttribute('data-label'));
    const predicted = Number(await tile.getAttribute('data-predicted'));
    const chart = page.locator('[aria-label="Confusion matrix"]');
    await chart.scrollIntoViewIfNeeded();
    const box = (await chart.boundingBox())!;
    const { left, right, top, bottom } = CONFUSION_GRID;
    const cellWidth = (box.width - left - right) / 10;
    const cellHeight = (box.height - top - bottom) / 10;
    await page.mouse.click(box.x + left + (predicted + 0.5) * cellWidth, box.y + top + (label + 0.5) * cellHeight);
    const dialog = page.locator('[role="dialog"]');
    await dialog.waitFor();
    const cellTiles = dialog.locator('[data-testid="sample"]');
    expect(await cellTiles.count()).toBeGreaterThan(0);
    for (const t of await cellTiles.all()) {
      expect(Number(await t.getAttribute('data-label'))).toBe(label);
      expect(Number(await t.getAttribute('data-predicted'))).toBe(predicted);
    }
    await shot('confusion-cell');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
  });

  it('cancels a run and resumes it to completion', async () => {
    await fillSmallRun('e2e resumable', 3, 2000);
    // Held in epoch 2, after the first epoch's checkpoint, until it is cancelled there.
    ui.hold.at(0);
    secondRunId = await startFromForm();
    ui.hold.at((await totalStepsOf(secondRunId)) / 3 + 2);
    await page.waitForFunction(() => /\d/.test(document.querySelector('[data-testid="best-val"]')?.textContent ?? ''), null, { timeout: STEP_TIMEOUT });
    await page.click('.screen-header button:has-text("Cancel")');
    await waitForStatus('cancelled');
    ui.hold.release();
    await page.locator('.screen-header button:has-text("Resume")').waitFor();
    await shot('run-cancelled');
    await page.click('.screen-header button:has-text("Resume")');
    await waitForStatus('completed', 2 * STEP_TIMEOUT);
    const epochsShown = await page.textContent('[data-testid="progress"]');
    expect(epochsShown).toMatch(/epoch\s*3\s*\/\s*3/);
  });

  it('selects two runs on the runs screen and compares them', async () => {
    await page.goto(`${serve.origin}/#/runs`);
    await page.waitForSelector(`tr[data-run-id="${secondRunId}"]`);
    await shot('runs');
    await page.check(`[aria-label="Select run ${firstRunId}"]`);
    await page.check(`[aria-label="Select run ${secondRunId}"]`);
    await page.click('.actions button:has-text("Compare")');
    await page.waitForURL(/#\/compare\?ids=/);
    const metrics = page.locator('[data-testid="compare-metrics"] tbody tr');
    await metrics.first().waitFor();
    expect(await metrics.count()).toBe(2);
    // The configs differ in name, epochs and train subset.
    const diff = await page.textContent('[data-testid="config-diff"]');
    expect(diff).toContain('epochs');
    expect(diff).toContain('dataset.trainSubset');
    await page.waitForFunction(() => Number(document.querySelector('[aria-label="validation accuracy"]')?.getAttribute('data-points')) > 0);
    await shot('compare');
  });

  it('exports the selected runs as CSV with the chosen columns', async () => {
    await page.goto(`${serve.origin}/#/export?ids=${firstRunId},${secondRunId}`);
    await page.click('[role="radio"]:has-text("CSV")');
    await page.locator('.pick label').filter({ hasText: 'model.arch' }).first().locator('input').check();
    await page.waitForFunction(() => (document.querySelector('[data-testid="export-preview"]')?.textContent ?? '').includes('model.arch'));
    const preview = page.locator('[data-testid="export-preview"]');
    await page.waitForFunction(() => (document.querySelector('[data-testid="export-preview"]')?.textContent ?? '').includes('\n'));
    await shot('export');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('button:has-text("Save")')]);
    const file = join(RESULTS, 'export.csv');
    await download.saveAs(file);
    const csv = readFileSync(file, 'utf8');
    expect(csv).toBe(await preview.textContent());
    const lines = csv.trim().split(/\r?\n/);
    expect(lines).toHaveLength(3);
    const header = lines[0].split(',');
    expect(header.length).toBeGreaterThan(3);
    expect(csv).toContain('e2e first');
    expect(csv).toContain('e2e resumable');
    expect(header).toContain('model.arch');
    expect(lines.slice(1).every((line) => line.includes(',mlp'))).toBe(true);
  });

  it('deletes a selected run with the Delete key after confirming', async () => {
    const doomed = await (async () => {
      await page.goto(`${serve.origin}/#/runs/${firstRunId}`);
      // Held before its first step, so it is still there to cancel.
      ui.hold.at(0);
      await page.click('.screen-header button:has-text("Re-run")');
      await page.waitForURL(new RegExp(`#/runs/(?!${firstRunId}$)\\d+$`));
      // A run being deleted should not be training: stop it first.
      await page.click('.screen-header button:has-text("Cancel")');
      await waitForStatus('cancelled');
      ui.hold.release();
      return Number(/#\/runs\/(\d+)$/.exec(page.url())![1]);
    })();
    await page.goto(`${serve.origin}/#/runs`);
    await page.waitForSelector(`tr[data-run-id="${doomed}"]`);
    const rowsBefore = await page.locator('tr[data-run-id]').count();
    await page.click(`tr[data-run-id="${doomed}"] td:nth-child(5)`);
    await page.keyboard.press('Delete');
    await page.locator('[role="dialog"]').waitFor();
    await page.click('[role="dialog"] button.danger');
    await page.locator(`tr[data-run-id="${doomed}"]`).waitFor({ state: 'detached' });
    expect(await page.locator('tr[data-run-id]').count()).toBe(rowsBefore - 1);
  });

  it('clones a run into the form with its config', async () => {
    await page.goto(`${serve.origin}/#/runs/${firstRunId}`);
    await page.click('.screen-header button:has-text("Clone and edit")');
    await page.waitForURL(/#\/new\?clone=/);
    await page.waitForFunction(() => (document.querySelector('[name="name"]') as HTMLInputElement | null)?.value === 'e2e first (copy)');
    expect(await page.inputValue('[name="dataset.trainSubset"]')).toBe('1000');
    expect(await page.inputValue('[name="model.arch"]')).toBe('mlp');
  });

  it('starts a sweep with repeat seeds and groups its runs by config', async () => {
    await fillSmallRun('e2e sweep', 1, 500);
    await page.check('label:has-text("Sweep") input');
    await page.click('button:has-text("Add field")');
    await page.selectOption('[aria-label="Sweep field"]', 'optimizer.lr');
    await page.fill('[aria-label="Sweep values"]', '0.05');
    await page.locator('label:has-text("Repeat seeds") input').fill('2');
    await shot('new-run-sweep');
    await page.click('button.primary:has-text("Start sweep (2 runs)")');
    await page.waitForURL(/#\/runs$/);
    await page.check('label:has-text("Group by config") input');
    const group = page.locator('tr.group-row', { hasText: '2 runs' });
    await group.waitFor();
    // Wait for both repeats to finish, so the group shows mean ± std.
    await page.waitForFunction(() => document.querySelectorAll('tr[data-run-id] [data-status="completed"]').length >= 4, null, { timeout: 2 * STEP_TIMEOUT });
    await page.locator('tr.group-row', { hasText: '±' }).waitFor();
    await shot('runs-grouped');
  });

  it('shows the settings with the detected backend and the dataset present', async () => {
    await page.goto(`${serve.origin}/#/settings`);
    await page.waitForSelector('[data-testid="data-dir"]');
    expect(await page.textContent('[data-testid="data-dir"]')).toBe(ui.dataDir);
    expect(await page.textContent('tr[data-dataset="fashion-mnist"]')).toContain('present');
    // GPU runs at once: auto until a number is applied; the Workers screen then shows it.
    expect(await page.textContent('[data-testid="gpu-slots-now"]')).toMatch(/^now 1: one run at a time/);
    await page.selectOption('select[aria-label="GPU runs at once"]', '3');
    await page.click('select[aria-label="GPU runs at once"] ~ button');
    await expect.poll(() => page.textContent('[data-testid="gpu-slots-now"]')).toMatch(/^now 3: fixed in the settings/);
    await shot('settings');
    await page.goto(`${serve.origin}/#/workers`);
    await expect.poll(() => page.textContent('[data-testid="gpu-slots"]')).toContain('0 of 3 GPU slots in use (fixed)');
    expect(ui.pageErrors).toEqual([]);
  });
});
