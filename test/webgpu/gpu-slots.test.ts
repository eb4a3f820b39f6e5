// Several runs share the GPU: runs on the webgpu backend take GPU slots (Settings →
// GPU runs at once), the others the CPU concurrency, each pool in queue order. Real
// worker processes training on the software adapter, held at their first step so
// that what runs at once is a fact, not a race.
import { afterEach, describe, expect, it } from 'vitest';
import { RunHold } from '../hold';
import { openTestBench, storeOf, tinyConfig, type TestBench } from '../integration/service/helpers';
import { hasSoftwareVulkan } from './software-vulkan';

describe.skipIf(!hasSoftwareVulkan())('GPU slots', () => {
  let bench: TestBench | null = null;
  let hold: RunHold | null = null;
  afterEach(async () => {
    hold?.release();
    await bench?.dispose();
    hold?.dispose();
  });

  it('trains two webgpu runs at once beside a wasm run, and queues the third webgpu run', async () => {
    hold = new RunHold().at(0);
    bench = await openTestBench({ hold, startQueue: false });
    const { wb } = bench;
    await wb.invoke('settings:set', { gpuSlots: 2, concurrency: 1 });
    const start = async (backend: 'webgpu' | 'wasm', seed: number) => (await wb.invoke('runs:start', { config: tinyConfig({ backend, seed }) })).id;
    const gpu = [await start('webgpu', 1), await start('webgpu', 2), await start('webgpu', 3)];
    const cpu = await start('wasm', 4);
    const status = (id: number) => storeOf(wb).runs.get(id)?.status;
    wb.startQueue();
    await expect.poll(() => [...gpu, cpu].map(status), { timeout: 120_000 }).toEqual(['running', 'running', 'queued', 'running']);
    expect((await wb.invoke('system:info', undefined)).gpu).toMatchObject({ slots: 2, mode: 'fixed', running: 2 });

    hold.release();
    await wb.whenIdle();
    expect([...gpu, cpu].map(status)).toEqual(['completed', 'completed', 'completed', 'completed']);
    expect((await wb.invoke('runs:get', { id: gpu[2] })).environment?.backend).toBe('webgpu');
    expect((await wb.invoke('settings:get', undefined)).gpuSlots).toBe(2);
  }, 600_000);
});
