// A run page that stays true to the service while a run trains, in Chromium
// against a real `kerv serve` training a real run: the duration moves during the
// first epoch and two tabs agree on it (bug 5); when the server restarts under an
// open page the page resyncs on reconnect instead of showing a dead "running"
// run with an ETA and a Cancel that fails (bug 1); the resume log speaks 1-based
// epochs like every other line (bug 10).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { RunHold } from '../hold';
import { apiCall, launchChromium, openWorkbench, startServe, RESULTS, type ServeProcess } from './harness';

const TIMEOUT = 120_000;

describe('a run page across a server restart', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'kerv-e2e-live-'));
  let serve: ServeProcess;
  let browser: Browser;
  let pageA: Page;
  let pageB: Page;
  let runId = 0;
  const pageErrors: string[] = [];
  // The run stays in its first epoch (113 steps) however fast the machine: held at step 10, then a little further.
  const hold = new RunHold().at(10);

  beforeAll(async () => {
    serve = await startServe(dataDir, { env: hold.env });
    browser = await launchChromium();
    ({ id: runId } = await apiCall(serve, 'runs:start', {
      config: {
        name: 'live',
        backend: 'wasm',
        dataset: { name: 'fashion-mnist', trainSubset: 2000, testSubset: 200 },
        model: { arch: 'mlp', widthMultiplier: 0.25 },
        epochs: 2,
        batchSize: 16,
        sampleCount: 8,
      },
    }));
    ({ page: pageA } = await openWorkbench(browser, serve, pageErrors));
    ({ page: pageB } = await openWorkbench(browser, serve, pageErrors));
  }, 180_000);

  afterAll(async () => {
    await apiCall(serve, 'runs:cancel', { id: runId }).catch(() => {});
    await browser?.close();
    hold.release();
    await serve?.stop();
    rmSync(dataDir, { recursive: true, force: true });
    hold.dispose();
  });

  const duration = (page: Page) => page.textContent('[data-testid="duration"]');

  it('shows a live duration during the first epoch, in both tabs', async () => {
    for (const page of [pageA, pageB]) await page.goto(`${serve.origin}/#/runs/${runId}`);
    await pageA.waitForSelector('.screen-header [data-status="running"]', { timeout: TIMEOUT });
    await pageA.waitForFunction(() => /\d/.test(document.querySelector('[data-testid="duration"]')?.textContent ?? ''), null, { timeout: TIMEOUT });
    const first = await duration(pageA);
    // It moves with the steps, not at epoch ends: 20 more steps, still inside epoch 1 (no validation result yet).
    // Released at least 1.1 s after the value was read, so those steps' wall times differ from it at
    // the display's whole-second resolution (a paused run's clock runs on), however fast they are.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    hold.at((await apiCall(serve, 'runs:get', { id: runId })).step + 20);
    await pageA.waitForFunction((before) => document.querySelector('[data-testid="duration"]')?.textContent !== before, first, { timeout: TIMEOUT });
    expect(await pageA.textContent('[data-testid="best-val"]')).toBe('—');
    expect(await duration(pageB)).toMatch(/\d/);
    expect(await pageA.locator('.screen-header button:has-text("Cancel")').count()).toBe(1);
    expect(await pageA.textContent('[data-testid="progress"]')).toMatch(/ETA/);
    // The training process reports its CPU and memory every few seconds; they are stored and plotted live.
    await pageA.locator('[data-testid="diagnostics"] [data-family="system"] [aria-label="Memory (RSS, MB)"]').waitFor({ timeout: TIMEOUT });
    const system = await apiCall(serve, 'runs:scalars', { id: runId, prefix: 'system/' });
    expect(Object.keys(system).sort()).toEqual(['system/cpu_percent', 'system/rss_mb']);
    expect(system['system/rss_mb'].value[0]).toBeGreaterThan(20);
  });

  it('resyncs an open run page when the server restarts under it', async () => {
    const { port } = new URL(serve.origin);
    // SIGTERM: the service stops the worker, the run becomes interrupted; its pushed
    // status never reaches the pages (their socket is already closed).
    await serve.stop();
    serve = await startServe(dataDir, { port: Number(port), token: serve.token, env: hold.env });
    for (const page of [pageA, pageB]) {
      await page.waitForSelector('.screen-header [data-status="interrupted"]', { timeout: TIMEOUT });
      expect(await page.locator('.screen-header button:has-text("Cancel")').count()).toBe(0);
      expect(await page.textContent('[data-testid="progress"]')).not.toMatch(/ETA/);
      await page.locator('.screen-header button:has-text("Resume")').waitFor();
    }
    // Both tabs show the recorded duration, to the second.
    expect(await duration(pageA)).toBe(await duration(pageB));
    await pageA.screenshot({ path: join(RESULTS, 'run-resynced-after-restart.png') });
  });

  it('logs the resume point in 1-based epochs', async () => {
    await pageA.click('.screen-header button:has-text("Resume")');
    const line = pageA.locator('[data-testid="log"] .line', { hasText: 'resume requested' });
    await line.waitFor({ timeout: TIMEOUT });
    const text = (await line.textContent()) ?? '';
    // The server stopped the run inside its first epoch.
    expect(text).toMatch(/at step \d+ \(in epoch 1\)/);
    expect(text).not.toMatch(/epoch 0\b/);
    await apiCall(serve, 'runs:cancel', { id: runId });
    await pageA.waitForSelector('.screen-header [data-status="cancelled"]', { timeout: TIMEOUT });
    expect(pageErrors).toEqual([]);
  });
});
