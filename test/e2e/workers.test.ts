// The workers panel and "where it ran", in Chromium against a coordinating
// `kerv serve --redis`, with a real redis-server and a real `kerv worker`.
import { rmSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnKerv, startRedis, startWorker, tempDir, waitFor, type KervProcess, type RedisInstance } from '../integration/cluster/helpers';
import { apiCall, launchChromium, openWorkbench, type ServeProcess } from './harness';

describe('workers panel', () => {
  let redis: RedisInstance;
  let worker: KervProcess;
  let coordinator: KervProcess;
  let serve: ServeProcess;
  let browser: Browser;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    worker = await startWorker(redis.url, 'alpha');
    coordinator = spawnKerv(['serve', '--port', '0', '--redis', redis.url, '--no-local-worker'], tempDir('kerv-e2e-workers-'));
    const url = await waitFor('kerv serve to print its URL', () => /Open (http:\/\/\S+)/.exec(coordinator.output())?.[1], 60_000);
    const parsed = new URL(url);
    serve = { url, origin: parsed.origin, token: parsed.searchParams.get('token')!, output: coordinator.output, stop: () => coordinator.stop('SIGTERM') };
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await coordinator?.stop('SIGTERM');
    await worker?.stop('SIGKILL');
    await redis?.dispose();
    if (coordinator) rmSync(coordinator.dataDir, { recursive: true, force: true });
    if (worker) rmSync(worker.dataDir, { recursive: true, force: true });
  });

  it('lists the worker with its machine facts, and a run shows the worker it ran on', async () => {
    const { page } = await openWorkbench(browser, serve, pageErrors);
    await page.click('nav.sidebar a[href="#/workers"]');
    await page.waitForSelector('[data-testid="workers-table"]');
    expect(await page.textContent('[data-testid="cluster-state"]')).toContain('connected');
    const row = page.locator('[data-testid="workers-table"] tbody tr', { hasText: 'alpha' });
    await expect.poll(() => row.count()).toBe(1);
    expect(await row.textContent()).toMatch(/s ago|now/);

    const { id } = await apiCall(serve, 'runs:start', {
      config: { backend: 'wasm', dataset: { name: 'fashion-mnist', trainSubset: 500, testSubset: 200 }, model: { arch: 'mlp', widthMultiplier: 0.25 }, epochs: 1, batchSize: 64, sampleCount: 8 },
    });
    await waitFor('the run to complete on the worker', async () => (await apiCall(serve, 'runs:get', { id })).status === 'completed', 180_000, 500);
    await page.goto(`${serve.origin}/#/runs/${id}`);
    await page.waitForSelector('[data-testid="ran-on"]');
    expect(await page.textContent('[data-testid="ran-on"]')).toBe('worker alpha');
    expect(pageErrors).toEqual([]);
  }, 240_000);
});
