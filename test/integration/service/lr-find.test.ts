// The learning-rate finder through the API, in real worker processes on the real
// Fashion-MNIST: its points stream as events, its result is kept in the history,
// one runs at a time, a bad option is named, and a cancelled one keeps its curve.
import { describe, expect, it } from 'vitest';
import { RunHold } from '../../hold';
import { benchPerTest, openTestBench, tinyConfig, type TestBench } from './helpers';

const t = benchPerTest();

function finished(b: TestBench, id: number): Promise<string> {
  return new Promise((resolve) => {
    const seen = b.events['lrFind:status'].find((e) => e.id === id);
    if (seen) return resolve(seen.status);
    const off = b.wb.on('lrFind:status', (e) => {
      if (e.id !== id) return;
      off();
      resolve(e.status);
    });
  });
}

describe('learning-rate finder service', () => {
  it('streams its points, keeps the result with the history, and refuses a second finder or a bad option', async () => {
    t.bench = await openTestBench();
    const { wb, events } = t.bench;
    await expect(wb.invoke('lrFind:start', { config: tinyConfig(), finder: { startLr: 1, endLr: 0.1 } })).rejects.toThrow(/finder\.endLr: endLr must be larger than startLr/);
    await expect(wb.invoke('lrFind:start', { config: tinyConfig(), finder: { steps: 5 } })).rejects.toThrow('finder.steps: must be at least 10');
    const config = tinyConfig({ optimizer: { type: 'sgd', lr: 0.01 } });
    const { id } = await wb.invoke('lrFind:start', { config, finder: { startLr: 1e-5, endLr: 100, steps: 100 } });
    await expect(wb.invoke('lrFind:start', { config })).rejects.toMatchObject({ code: 'conflict', message: `A learning-rate finder is already running (#${id}): wait for it, or cancel it.` });
    expect(await finished(t.bench, id)).toBe('completed');

    const record = await wb.invoke('lrFind:get', { id });
    expect(record.status).toBe('completed');
    expect(record.result!.stoppedBy).toBe('diverged');
    const streamed = events['lrFind:progress'].filter((e) => e.id === id).map((e) => e.point.step);
    expect(streamed).toEqual(record.result!.points.map((p) => p.step));
    // The diverged last point's loss is kept (as NaN once JSON made it null, or the huge number it was).
    expect(record.result!.points.at(-1)!.step).toBe(record.result!.points.length);
    expect(record.result!.suggestions.steepest).toBeGreaterThan(1e-5);
    expect((await wb.invoke('lrFind:list', undefined)).map((r) => [r.id, r.status, r.arch, r.optimizer])).toEqual([[id, 'completed', 'mlp', 'sgd']]);

    // Kept: a workbench opened later on the same folder shows it.
    const again = await t.bench.reopen({ startQueue: false });
    expect((await again.invoke('lrFind:get', { id })).result).toEqual(record.result);
    await expect(again.invoke('lrFind:get', { id: 999 })).rejects.toMatchObject({ code: 'not_found' });
  });

  it('a cancelled finder stops at once and keeps the curve it had', async () => {
    t.hold = new RunHold();
    t.bench = await openTestBench({ hold: t.hold });
    const { wb } = t.bench;
    // Held after 3 steps (test/t.hold.ts, as a run is), so the cancel finds it running.
    t.hold.at(3);
    const { id } = await wb.invoke('lrFind:start', { config: tinyConfig(), finder: { steps: 100, endLr: 1e-3 } });
    await new Promise<void>((resolve) => {
      const off = wb.on('lrFind:progress', (e) => {
        if (e.id === id && e.point.step === 3) {
          off();
          resolve();
        }
      });
    });
    await wb.invoke('lrFind:cancel', { id });
    expect(await finished(t.bench, id)).toBe('cancelled');
    const record = await wb.invoke('lrFind:get', { id });
    expect(record.result!.stoppedBy).toBe('cancelled');
    expect(record.result!.points.map((p) => p.step)).toEqual([1, 2, 3]);
  });
});
