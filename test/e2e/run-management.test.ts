// Managing runs in the UI, in Chromium against a real `kerv serve`: reordering
// the queue, editing a run's name, tags and notes, and saving runs as a .kervrun
// bundle then importing it back. What the UI did is checked through the API.
//
// The queue stays put deterministically: one slot (concurrency 1) is taken by a
// run queued first and held before its first step (test/hold.ts), so the three
// tiny runs behind it wait until the test has reordered them and cancels everything. The run that is edited and bundled
// is recorded straight into the store (metrics, no training).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { Page } from 'playwright-core';
import { configHash } from '../../src-main/service/run-identity';
import { parseRunConfig, type RunConfigInput } from '../../src-main/shared/run-config';
import { recordRun } from '../integration/server/recorded-run';
import { apiCall, RESULTS, type ServeProcess } from './harness';
import { tinyConfig } from '../tiny-config';
import { openUiSession, type UiSession } from './ui-session';

const tiny = (name: string): RunConfigInput => tinyConfig({ name });

describe('managing runs in Chromium', () => {
  let ui: UiSession;
  let serve: ServeProcess;
  let page: Page;
  let blocker = 0;
  let waiting: number[] = [];
  let recorded = 0;

  beforeAll(async () => {
    ui = await openUiSession('kerv-e2e-manage-', (store, hold) => {
      store.setSettings({ concurrency: 1 });
      // The blocker trains no step until it is cancelled, once the queue is checked.
      hold.at(0);
      recorded = recordRun(store, 'recorded run', { epochs: 2 });
      const queue = (input: RunConfigInput) => {
        const config = parseRunConfig(input);
        return store.runs.insert({ name: config.name!, config, configHash: configHash(config) });
      };
      blocker = queue(tiny('blocker'));
      waiting = ['queued a', 'queued b', 'queued c'].map((name) => queue(tiny(name)));
    });
    ({ serve, page } = ui);
  }, 180_000);

  afterAll(async () => {
    await ui?.close();
  });

  const queueIds = async () => (await apiCall(serve, 'queue:get', undefined)).ids;
  /** Presses a key on the focused queue row once the panel shows the service's order (a move in flight is finished). */
  const pressInQueue = async (key: string) => {
    await page.waitForSelector('[data-testid="queue"] ol[aria-busy="false"]');
    await page.keyboard.press(key);
  };
  const shownOrder = async () => (await page.locator('[data-testid="queue"] li').evaluateAll((items) => items.map((li) => Number(li.getAttribute('data-queue-id')))));

  it('moves queued runs up and down with the buttons and Alt+↑/↓', async () => {
    const [a, b, c] = waiting;
    await expect.poll(async () => (await apiCall(serve, 'runs:get', { id: blocker })).status, { timeout: 300_000 }).toBe('running');
    await page.goto(`${serve.origin}/#/runs`);
    await page.locator('[data-testid="queue"] li').nth(2).waitFor();
    expect(await shownOrder()).toEqual([a, b, c]);
    expect(await queueIds()).toEqual([a, b, c]);

    await page.click(`[aria-label="Move run ${c} up"]`);
    await expect.poll(queueIds).toEqual([a, c, b]);
    await expect.poll(shownOrder).toEqual([a, c, b]);
    expect(await page.isDisabled(`[aria-label="Move run ${a} up"]`)).toBe(true);

    // The keyboard: the focus stays on the moved run, so the key can be pressed again.
    await page.focus(`[data-queue-id="${a}"]`);
    await pressInQueue('Alt+ArrowDown');
    await expect.poll(queueIds).toEqual([c, a, b]);
    await expect.poll(shownOrder).toEqual([c, a, b]);
    await pressInQueue('Alt+ArrowDown');
    await expect.poll(queueIds).toEqual([c, b, a]);
    await expect.poll(shownOrder).toEqual([c, b, a]);
    await pressInQueue('Alt+ArrowUp');
    await expect.poll(queueIds).toEqual([c, a, b]);
    await expect.poll(shownOrder).toEqual([c, a, b]);
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-queue-id'))).toBe(String(a));
    await page.screenshot({ path: join(RESULTS, 'runs-queue.png') });

    // Nothing more needs to train: the waiting runs first (so none starts), then the blocker.
    for (const id of [...waiting, blocker]) await apiCall(serve, 'runs:cancel', { id });
    await page.locator('[data-testid="queue"]').waitFor({ state: 'detached' });
    await expect.poll(async () => (await apiCall(serve, 'runs:get', { id: blocker })).status, { timeout: 120_000 }).toBe('cancelled');
  });

  it('edits the name, tags and notes of a run, and the edit is stored', async () => {
    await page.goto(`${serve.origin}/#/runs/${recorded}`);
    await page.waitForSelector('.screen-header h1:has-text("recorded run")');
    await page.click('.screen-header button:text-is("Edit")');
    const dialog = page.locator('[role="dialog"]');
    await dialog.waitFor();
    expect(await page.inputValue('[name="run-name"]')).toBe('recorded run');
    await page.fill('[name="run-name"]', 'baseline, renamed');
    await page.fill('[name="run-tags"]', 'paper, fig-2 , paper,');
    await page.fill('[name="run-notes"]', 'The reference run.\nlr 0.01 looked stable.');
    await page.screenshot({ path: join(RESULTS, 'run-edit-dialog.png') });
    await dialog.locator('button:text-is("Save")').click();
    await dialog.waitFor({ state: 'detached' });
    await page.waitForSelector('.screen-header h1:has-text("baseline, renamed")');
    expect(await page.locator('[data-testid="run-about"] .tag').allTextContents()).toEqual(['paper', 'fig-2']);

    const stored = await apiCall(serve, 'runs:get', { id: recorded });
    expect([stored.name, stored.tags, stored.notes]).toEqual(['baseline, renamed', ['paper', 'fig-2'], 'The reference run.\nlr 0.01 looked stable.']);
    // A fresh load shows what was stored, and the runs filter finds the new tag.
    await page.reload();
    await page.waitForSelector('.screen-header h1:has-text("baseline, renamed")');
    expect(await page.textContent('[data-testid="run-notes"]')).toBe('The reference run.\nlr 0.01 looked stable.');
    await page.screenshot({ path: join(RESULTS, 'run-edited.png') });
    expect((await apiCall(serve, 'runs:list', { search: 'fig-2' })).rows.map((r) => r.id)).toEqual([recorded]);

    // An empty name is refused in the form and changes nothing.
    await page.click('.screen-header button:text-is("Edit")');
    await page.fill('[name="run-name"]', '  ');
    await dialog.locator('button:text-is("Save")').click();
    await dialog.locator('[role="alert"]').waitFor();
    await page.keyboard.press('Escape');
    expect((await apiCall(serve, 'runs:get', { id: recorded })).name).toBe('baseline, renamed');
  });

  it('saves the selected run as a .kervrun download and imports it back with its metrics', async () => {
    await page.goto(`${serve.origin}/#/runs`);
    await page.check(`[aria-label="Select run ${recorded}"]`);
    await page.screenshot({ path: join(RESULTS, 'runs-bundle.png') });
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('.actions button:has-text("Save bundle")')]);
    expect(download.suggestedFilename()).toBe(`run-${recorded}.kervrun`);
    const file = join(RESULTS, 'bundle.kervrun');
    await download.saveAs(file);
    const bundle = JSON.parse(gunzipSync(readFileSync(file)).toString('utf8')) as { format: string; runs: { name: string }[] };
    expect(bundle.format).toBe('kervrun');
    expect(bundle.runs.map((r) => r.name)).toEqual(['baseline, renamed']);

    const before = (await apiCall(serve, 'runs:list', {})).total;
    await page.setInputFiles('input[aria-label="Bundle file"]', file);
    await page.locator('.toast', { hasText: 'Imported 1 run' }).waitFor();
    const newest = (await apiCall(serve, 'runs:list', { sortBy: 'id', sortDir: 'desc', limit: 1 })).rows[0];
    expect((await apiCall(serve, 'runs:list', {})).total).toBe(before + 1);
    expect(newest.id).not.toBe(recorded);
    expect([newest.name, newest.status, newest.tags, newest.experimentHash]).toEqual([
      'baseline, renamed',
      'completed',
      ['paper', 'fig-2'],
      (await apiCall(serve, 'runs:get', { id: recorded })).experimentHash,
    ]);
    // The imported run is selected in the table, and it carries the original's metrics.
    await page.waitForSelector(`tr.selected[data-run-id="${newest.id}"]`);
    const [original, copy] = await Promise.all([apiCall(serve, 'runs:metrics', { id: recorded }), apiCall(serve, 'runs:metrics', { id: newest.id })]);
    expect(copy.steps.step).toHaveLength(20);
    expect(copy).toEqual(original);

    // Its detail screen draws the same curves as the original's.
    const lossPoints = async (id: number) => {
      await page.goto(`${serve.origin}/#/runs/${id}`);
      await page.waitForSelector(`.screen-header h1:has-text("#${id}")`);
      await page.waitForFunction(() => Number(document.querySelector('[aria-label="Loss"]')?.getAttribute('data-points')) > 0);
      return Number(await page.getAttribute('[aria-label="Loss"]', 'data-points'));
    };
    const originalPoints = await lossPoints(recorded);
    expect(originalPoints).toBeGreaterThanOrEqual(20);
    expect(await lossPoints(newest.id)).toBe(originalPoints);
    await page.screenshot({ path: join(RESULTS, 'run-imported.png') });
    // Issue 22: it says where it came from (the file and the run there) and when.
    expect(await page.textContent('[data-testid="origin"]')).toMatch(new RegExp(`^imported from bundle\\.kervrun \\(run ${recorded} there\\) at \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d$`));

    // A file that is not a bundle is refused with the service's reason, and nothing is added.
    await page.goto(`${serve.origin}/#/runs`);
    await page.setInputFiles('input[aria-label="Bundle file"]', { name: 'junk.kervrun', mimeType: 'application/octet-stream', buffer: Buffer.from('not a bundle') });
    await page.locator('.toast.error').first().waitFor();
    expect((await apiCall(serve, 'runs:list', {})).total).toBe(before + 1);
    expect(ui.pageErrors).toEqual([]);
  });
});
