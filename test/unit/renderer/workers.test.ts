import { describe, expect, it } from 'vitest';
import { gpuMemoryText, gpuSlotsText, gpuThroughputRows, heartbeatAge, isStale, loadPercent, memoryText, runsText } from '../../../src-renderer/src/lib/workers';
import { parseRoute, routeHash } from '../../../src-renderer/src/lib/routes';

describe('workers panel', () => {
  const now = Date.parse('2026-11-26T03:00:00.000Z');
  it('says how old a heartbeat is, and when a worker is probably gone', () => {
    expect(heartbeatAge('2026-11-26T03:00:00.000Z', now)).toBe('now');
    expect(heartbeatAge('2026-11-26T02:59:56.000Z', now)).toBe('4 s ago');
    expect(heartbeatAge('2026-11-26T02:55:00.000Z', now)).toBe('5 min ago');
    expect(isStale('2026-11-26T02:59:58.000Z', now)).toBe(false);
    expect(isStale('2026-11-26T02:59:50.000Z', now)).toBe(true);
  });
  it('shows load per core, memory in use, and the runs on each slot', () => {
    expect(loadPercent({ load: 3, cores: 4 })).toBe('75 %');
    expect(memoryText({ memoryMb: 16384, freeMemoryMb: 4096 })).toBe('12.0 / 16.0 GB');
    expect(runsText({ runs: [4, 9], concurrency: 3 })).toBe('2 / 3: #4, #9');
    expect(runsText({ runs: [], concurrency: 1 })).toBe('0 / 1');
  });
  it("shows this machine's GPU slots, memory and measured throughput", () => {
    expect(gpuSlotsText({ running: 2, slots: 3, mode: 'auto' })).toBe('2 of 3 GPU slots in use (auto)');
    expect(gpuSlotsText({ running: 0, slots: 1, mode: 'fixed' })).toBe('0 of 1 GPU slot in use (fixed)');
    expect(gpuMemoryText({ perRunMb: null, memoryTotalMb: null })).toBe('not known yet');
    expect(gpuMemoryText({ perRunMb: 1536, memoryTotalMb: 81920 })).toBe('up to 1.5 of 80.0 GB per run');
    expect(gpuThroughputRows({ throughput: [{ runs: 1, imagesPerSecond: 100 }, { runs: 2, imagesPerSecond: 160.4 }] })).toEqual([
      { runs: 1, imagesPerSecond: '100', gain: '—' },
      { runs: 2, imagesPerSecond: '160', gain: '60 %' },
    ]);
  });
  it('has its own route', () => {
    expect(parseRoute('#/workers')).toEqual({ name: 'workers' });
    expect(routeHash({ name: 'workers' })).toBe('#/workers');
  });
});
