// The run lifecycle through the public API, with real worker processes training
// real (tiny) models on the real Fashion-MNIST files.
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RunHold } from '../../hold';
import { benchPerTest, contiguous, openTestBench, startHeld, storeOf, tinyConfig, waitForStatus } from './helpers';

const t = benchPerTest();

describe('run lifecycle', () => {
  it("a run whose config says 'auto' trains on the settings' backend, handed to its worker (the service's environment is untouched)", async () => {
    const before = process.env.KERV_BACKEND;
    // KERV_BACKEND, when a user sets it, wins over the settings: this test needs it unset in the workers too.
    delete process.env.KERV_BACKEND;
    try {
      t.bench = await openTestBench();
      const { wb, events } = t.bench;
      await wb.invoke('settings:set', { backend: 'cpu' });
      const { id } = await wb.invoke('runs:start', { config: tinyConfig({ backend: 'auto', dataset: { name: 'fashion-mnist', trainSubset: 200, testSubset: 100 } }) });
      expect(await waitForStatus(wb, id, ['completed', 'failed'])).toBe('completed');
      expect(events['run:started'].find((e) => e.id === id)!.environment.backend).toBe('cpu');
      expect((await wb.invoke('runs:get', { id })).config.backend).toBe('auto');
      expect(process.env.KERV_BACKEND).toBeUndefined();
    } finally {
      if (before !== undefined) process.env.KERV_BACKEND = before;
    }
  });

  it('trains a run queued → running → completed and records metrics, samples and metadata', async () => {
    t.bench = await openTestBench();
    const { wb, events } = t.bench;
    const { id } = await wb.invoke('runs:start', { config: tinyConfig({ epochs: 2, seed: 3 }) });
    expect(await waitForStatus(wb, id, ['completed', 'failed'])).toBe('completed');

    expect(events['run:status'].filter((e) => e.id === id).map((e) => e.status)).toEqual(['queued', 'running', 'completed']);
    const started = events['run:started'].find((e) => e.id === id)!;
    expect(started.environment.backend).toBe('wasm');

    const detail = await wb.invoke('runs:get', { id });
    expect(detail.status).toBe('completed');
    expect(detail.step).toBe(started.totalSteps);
    expect(detail.testAccuracy).toBeGreaterThan(0.1);
    expect(detail.bestValidationAccuracy).toBeGreaterThan(0.1);
    expect(detail.parameterCount).toBeGreaterThan(1000);
    expect(detail.environment!.appVersion).toBe('0.0.0-test');
    expect(detail.dataset_info!.fingerprint).toMatch(/\w+/);
    expect(detail.seed).toBe(3);
    expect(detail.resumable).toBe(false);

    const metrics = await wb.invoke('runs:metrics', { id });
    expect(contiguous(metrics.steps.step)).toBe(true);
    expect(metrics.steps.step.length).toBe(started.totalSteps);
    expect(metrics.epochs.map((e) => e.epoch)).toEqual([1, 2]);
    expect(metrics.epochs[1].confusion).toHaveLength(10);
    expect(metrics.epochs[1].samplePredictions).toHaveLength(8);
    // Every step the UI saw live is the step stored.
    const pushed = events['run:progress'].filter((e) => e.id === id).flatMap((e) => e.steps.map((s) => s.step));
    expect(pushed).toEqual(metrics.steps.step);
    expect(await wb.invoke('runs:samples', { id })).toHaveLength(8);
    // Issue 22: the log has a line per epoch and says how the run finished.
    const log = (await wb.invoke('runs:log', { id })).map((l) => l.message);
    expect(log.some((m) => m.includes('started on wasm'))).toBe(true);
    expect(log.filter((m) => /^Epoch \d\/2: train loss \d\.\d{4} acc [\d.]+% \| val loss \d\.\d{4} acc [\d.]+% \| /.test(m))).toHaveLength(2);
    expect(log.at(-1)).toMatch(/^Finished: test accuracy [\d.]+% \(loss \d\.\d{4}\), best validation accuracy [\d.]+%, final train loss [\d.]+, 2 epochs \/ \d+ steps in /);
  });

  it('starts queued runs in queue order, one at a time, after reorder and cancel', async () => {
    t.bench = await openTestBench({ startQueue: false });
    const { wb, events } = t.bench;
    const ids: number[] = [];
    for (let seed = 0; seed < 4; seed++) ids.push((await wb.invoke('runs:start', { config: tinyConfig({ seed }) })).id);
    const [a, b, c, d] = ids;
    await wb.invoke('queue:reorder', { ids: [c, a] });
    await wb.invoke('runs:cancel', { id: b });
    expect(await wb.invoke('queue:get', undefined)).toEqual({ ids: [c, a, d], concurrency: 1 });

    let running = 0;
    let maxRunning = 0;
    wb.on('run:status', (e) => {
      if (e.status === 'running') maxRunning = Math.max(maxRunning, ++running);
      else if (e.status !== 'queued') running--;
    });
    wb.startQueue();
    await wb.whenIdle();
    const starts = events['run:status'].filter((e) => e.status === 'running').map((e) => e.id);
    expect(starts).toEqual([c, a, d]);
    expect(maxRunning).toBe(1);
    expect((await wb.invoke('runs:get', { id: b })).status).toBe('cancelled');
    expect((await wb.invoke('runs:list', { status: ['completed'] })).total).toBe(3);
  });

  it('trains two runs at once with concurrency 2', async () => {
    t.bench = await openTestBench({ startQueue: false });
    const { wb } = t.bench;
    await wb.invoke('settings:set', { concurrency: 2 });
    const a = (await wb.invoke('runs:start', { config: tinyConfig() })).id;
    const b = (await wb.invoke('runs:start', { config: tinyConfig({ seed: 1 }) })).id;
    let bothRunning = false;
    wb.on('run:status', () => {
      if (storeOf(wb).runs.get(a)!.status === 'running' && storeOf(wb).runs.get(b)!.status === 'running') bothRunning = true;
    });
    wb.startQueue();
    await wb.whenIdle();
    expect(bothRunning).toBe(true);
    expect([storeOf(wb).runs.get(a)!.status, storeOf(wb).runs.get(b)!.status]).toEqual(['completed', 'completed']);
    expect((await wb.invoke('settings:get', undefined)).concurrency).toBe(2);
  });

  it('cancels a running run, resumes it from its checkpoint, and the curve has every step once', async () => {
    t.hold = new RunHold();
    t.bench = await openTestBench({ hold: t.hold });
    const { wb } = t.bench;
    // Cancelled in the middle of epoch 2 (after epoch 1's checkpoint), while it is held there.
    const { id, heldAt } = await startHeld(t.bench, t.hold, tinyConfig({ epochs: 3 }), (perEpoch) => perEpoch + 3);
    await wb.invoke('runs:cancel', { id });
    expect(await waitForStatus(wb, id, ['cancelled', 'completed', 'failed'])).toBe('cancelled');
    const cancelled = await wb.invoke('runs:get', { id });
    expect(cancelled.resumable).toBe(true);
    expect(cancelled.step).toBe(heldAt);

    t.hold.release();
    await wb.invoke('runs:resume', { id });
    expect(await waitForStatus(wb, id, ['completed', 'failed', 'cancelled'])).toBe('completed');
    const detail = await wb.invoke('runs:get', { id });
    const metrics = await wb.invoke('runs:metrics', { id });
    expect(contiguous(metrics.steps.step)).toBe(true);
    expect(metrics.steps.step.length).toBe(detail.totalSteps);
    expect(metrics.epochs.map((e) => e.epoch)).toEqual([1, 2, 3]);
    // Wall time never goes backwards across the resume.
    expect(metrics.steps.wallTimeMs.every((t, i, all) => i === 0 || t >= all[i - 1])).toBe(true);
    const statuses = t.bench.events['run:status'].filter((e) => e.id === id).map((e) => e.status);
    expect(statuses).toEqual(['queued', 'running', 'cancelled', 'queued', 'running', 'completed']);
  });

  it('closing the workbench mid-run stops the worker; the run is interrupted and resumes with every step once', async () => {
    t.hold = new RunHold();
    t.bench = await openTestBench({ hold: t.hold });
    const { id, heldAt } = await startHeld(t.bench, t.hold, tinyConfig({ epochs: 2 }), (perEpoch) => perEpoch + 3);
    const wb = await t.bench.reopen({ startQueue: false });
    const run = await wb.invoke('runs:get', { id });
    expect(run.status).toBe('interrupted');
    expect(run.error).toBe(`the workbench stopped while the run was training, at step ${heldAt}`);
    expect(run.resumable).toBe(true);
    // Issue 22: its log says it was interrupted and how to go on, never that the user cancelled it.
    const log = (await wb.invoke('runs:log', { id })).map((l) => l.message);
    expect(log.at(-1)).toBe(`Interrupted: the workbench stopped while the run was training, at step ${heldAt}; Resume continues from the last checkpoint.`);
    expect(log.filter((m) => /cancel/i.test(m))).toEqual([]);
    expect(wb.recoveredRunIds).toEqual([]);
    t.hold.release();
    await wb.invoke('runs:resume', { id });
    wb.startQueue();
    expect(await waitForStatus(wb, id, ['completed', 'failed'])).toBe('completed');
    const steps = (await wb.invoke('runs:metrics', { id })).steps.step;
    expect(contiguous(steps)).toBe(true);
    expect(steps.length).toBe((await wb.invoke('runs:get', { id })).totalSteps);
  });

  it('re-runs a run as a new run with the same config, and deletes runs with their files', async () => {
    t.bench = await openTestBench();
    const { wb } = t.bench;
    const { id } = await wb.invoke('runs:start', { config: tinyConfig({ seed: 5 }) });
    await waitForStatus(wb, id, ['completed', 'failed']);
    const re = await wb.invoke('runs:rerun', { id });
    await waitForStatus(wb, re.id, ['completed', 'failed']);
    const [first, second] = [await wb.invoke('runs:get', { id }), await wb.invoke('runs:get', { id: re.id })];
    expect(second.configHash).toBe(first.configHash);
    expect(second.config).toEqual(first.config);
    // Same seed, same data, same engine: the same result.
    expect(second.testAccuracy).toBe(first.testAccuracy);

    expect(existsSync(wb.paths.runDir(id))).toBe(true);
    await wb.invoke('runs:delete', { ids: [id] });
    expect(existsSync(wb.paths.runDir(id))).toBe(false);
    await expect(wb.invoke('runs:get', { id })).rejects.toMatchObject({ code: 'not_found', message: `Run ${id} not found.` });
  });

  it('fails a run whose training throws with the engine’s message, and rejects bad requests naming the field', async () => {
    t.bench = await openTestBench();
    const { wb } = t.bench;
    const { id } = await wb.invoke('runs:start', { config: tinyConfig({ dataset: { name: 'image-folder', path: '/nonexistent/images' } }) });
    expect(await waitForStatus(wb, id, ['failed', 'completed'])).toBe('failed');
    expect((await wb.invoke('runs:get', { id })).error).toMatch(/nonexistent/);

    await expect(wb.invoke('runs:start', { config: { model: { arch: 'vgg' } } as never })).rejects.toThrow(/model\.arch: must be one of/);
    await expect(wb.invoke('runs:get', { id: 0 } as never)).rejects.toThrow(/id/);
    await expect(wb.invoke('runs:resume', { id: 999 })).rejects.toMatchObject({ code: 'not_found', message: 'Run 999 not found.' });
    await expect(wb.invoke('runs:cancel', { id })).rejects.toMatchObject({ code: 'conflict', message: expect.stringMatching(/is failed; it cannot become cancelled/) });
  });
});
