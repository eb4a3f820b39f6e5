import { describe, expect, it } from 'vitest';
import { parseBenchOptions } from '../../../bench/options';

describe('bench options', () => {
  it('defaults to the reference sizes, and --quick shrinks them', () => {
    const full = parseBenchOptions([], {});
    expect([full.batch, full.imageSize, full.channels, full.steps, full.warmupSteps]).toEqual([64, 32, 3, 10, 3]);
    expect(full.variants).toHaveLength(8);
    const quick = parseBenchOptions(['--quick'], {});
    expect(quick.batch).toBeLessThan(full.batch);
    expect(quick.steps).toBeLessThan(full.steps);
  });

  it('takes flags over KERV_BENCH_* variables', () => {
    const o = parseBenchOptions(['--batch', '16'], { KERV_BENCH_BATCH: '8', KERV_BENCH_STEPS: '4', KERV_BENCH_SECTIONS: 'engine,torch' });
    expect([o.batch, o.steps, o.sections]).toEqual([16, 4, ['engine', 'torch']]);
  });

  it('names the flag and the allowed values when a value is wrong', () => {
    expect(() => parseBenchOptions(['--batch', '0'], {})).toThrow(/--batch must be a positive integer, got "0"/);
    expect(() => parseBenchOptions(['--variants', 'conv,rbf'], {})).toThrow(/--variants: unknown 'rbf', allowed: conv, linear/);
  });
});
