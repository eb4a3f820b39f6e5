// How many runs share the GPU (service/gpu-slots.ts): the planner from the
// throughput and memory the runs report, and which runs count as GPU runs.
import { describe, expect, it } from 'vitest';
import { GpuSlotPlanner, SLOT_GAIN, trainsOnGpu } from '../../../src-main/service/gpu-slots';

/** Every running run reports `perRun` images/s twice (a measurement needs two reports each). */
function report(planner: GpuSlotPlanner, ids: number[], perRun: number, gpuMb?: number): void {
  for (let i = 0; i < 2; i++) for (const id of ids) planner.observe(id, { imagesPerSecond: perRun, ...(gpuMb !== undefined ? { gpuMb } : {}) });
}

describe('GPU slot planner (auto)', () => {
  it('adds a slot while the last run added ≥ 10 % images/s, then settles on the best count', () => {
    const planner = new GpuSlotPlanner(() => null);
    expect(planner.slots()).toBe(1);
    planner.runStarted(1);
    report(planner, [1], 100);
    expect(planner.slots()).toBe(2);
    planner.runStarted(2);
    report(planner, [1, 2], 80); // 160 vs 100: +60 %
    expect(planner.slots()).toBe(3);
    planner.runStarted(3);
    report(planner, [1, 2, 3], 60); // 180 vs 160: +12.5 %
    expect(planner.slots()).toBe(4);
    planner.runStarted(4);
    report(planner, [1, 2, 3, 4], 46); // 184 vs 180: +2 %, under the gain
    expect(planner.slots()).toBe(3);
    const info = planner.describe();
    expect(info).toMatchObject({ slots: 3, mode: 'auto', running: 4 });
    expect(info.throughput.map((t) => t.runs)).toEqual([1, 2, 3, 4]);
    expect(info.reason).toMatch(/4 runs gave 2 % more images\/s than 3 \(under 10 %\): 3 at once/);
    // Settled: more measurements do not reopen the search.
    planner.runEnded(4, false);
    report(planner, [1, 2, 3], 80);
    expect(planner.slots()).toBe(3);
    expect(SLOT_GAIN).toBe(0.1);
  });

  it('measures a count only once every run at that count has reported twice', () => {
    const planner = new GpuSlotPlanner(() => null);
    planner.runStarted(1);
    planner.observe(1, { imagesPerSecond: 100 });
    expect(planner.slots()).toBe(1);
    planner.observe(1, { imagesPerSecond: 100 });
    planner.runStarted(2);
    planner.observe(2, { imagesPerSecond: 90 });
    planner.observe(2, { imagesPerSecond: 90 });
    planner.observe(1, { imagesPerSecond: 90 }); // run 1 reported once since run 2 started
    expect(planner.describe().throughput).toEqual([{ runs: 1, imagesPerSecond: 100 }]);
    planner.observe(1, { imagesPerSecond: 90 });
    expect(planner.describe().throughput).toEqual([
      { runs: 1, imagesPerSecond: 100 },
      { runs: 2, imagesPerSecond: 180 },
    ]);
  });

  it("never plans more runs than 90 % of the GPU's memory holds at the largest run's size", () => {
    const planner = new GpuSlotPlanner(() => 10_000);
    planner.runStarted(1);
    report(planner, [1], 100, 4000);
    expect(planner.slots()).toBe(2); // 9000 / 4000
    planner.runStarted(2);
    report(planner, [1, 2], 100, 4500);
    expect(planner.slots()).toBe(2); // 9000 / 4500: no third
    expect(planner.describe().reason).toMatch(/GPU memory: 2 runs of up to 4500 MB fill 90 % of 10000 MB/);
  });

  it('a run out of GPU memory caps the slots below the count that was training', () => {
    const planner = new GpuSlotPlanner(() => null);
    planner.runStarted(1);
    report(planner, [1], 100);
    planner.runStarted(2);
    report(planner, [1, 2], 100);
    planner.runStarted(3);
    planner.runEnded(3, true);
    expect(planner.slots()).toBe(2);
    expect(planner.describe().reason).toMatch(/ran out of GPU memory with 3 at once/);
  });

  it('a fixed number overrides the search, which still measures', () => {
    const planner = new GpuSlotPlanner(() => null);
    planner.configure(4);
    expect(planner.slots()).toBe(4);
    planner.runStarted(1);
    report(planner, [1], 50);
    expect(planner.describe()).toMatchObject({ slots: 4, mode: 'fixed', throughput: [{ runs: 1, imagesPerSecond: 50 }] });
    planner.configure('auto');
    expect(planner.slots()).toBe(2);
  });
});

describe('which runs take GPU slots', () => {
  const never = () => {
    throw new Error('no probe expected');
  };
  it('webgpu and tensorflow-gpu runs do; CPU backends do not', () => {
    expect(trainsOnGpu('webgpu', 'auto', never, {})).toBe(true);
    expect(trainsOnGpu('tensorflow-gpu', 'auto', never, {})).toBe(true);
    expect(trainsOnGpu('wasm', 'webgpu', never, {})).toBe(false);
  });
  it("'auto' follows KERV_BACKEND, then the settings' default, then what the machine has", () => {
    expect(trainsOnGpu('auto', 'wasm', never, { KERV_BACKEND: 'webgpu' })).toBe(true);
    expect(trainsOnGpu('auto', 'webgpu', never, {})).toBe(true);
    expect(trainsOnGpu('auto', 'auto', () => true, {})).toBe(true);
    expect(trainsOnGpu('auto', 'auto', () => false, {})).toBe(false);
  });
});
