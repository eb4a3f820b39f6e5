import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src-main/shared/run-config';
import { expandSweep, gridPoints, randomPoints } from '../../../src-main/service/sweep';

describe('sweep expansion', () => {
  it('kernel ablation: 3 kernels × 3 seeds = 9 valid configs with the kernel defaults filled in', () => {
    const points = expandSweep({
      base: { seed: 10, model: { arch: 'lenet5', kernel: { type: 'polynomial', c: 0.5, d: 2 } }, epochs: 2 },
      grid: { 'model.kernel.type': ['linear', 'polynomial', 'gaussian'] },
      repeats: 3,
    });
    expect(points).toHaveLength(9);
    expect(points.map((p) => [p.config.model.kernel.type, p.seed])).toEqual([
      ['linear', 10],
      ['linear', 11],
      ['linear', 12],
      ['polynomial', 10],
      ['polynomial', 11],
      ['polynomial', 12],
      ['gaussian', 10],
      ['gaussian', 11],
      ['gaussian', 12],
    ]);
    expect(points[0].config.model.kernel).toEqual({ type: 'linear' });
    // Same type as the base: its parameters stay.
    expect(points[3].config.model.kernel).toEqual({ type: 'polynomial', c: 0.5, d: 2, learnable: false });
    expect(points[6].config.model.kernel).toEqual({ type: 'gaussian', gamma: 'auto', learnable: false });
    expect(points.every((p) => p.config.epochs === 2 && p.config.seed === p.seed)).toBe(true);
    expect(new Set(points.map((p) => p.name)).size).toBe(9);
  });

  it('takes the cartesian product of several axes, last axis fastest', () => {
    expect(gridPoints({ a: [1, 2], b: ['x', 'y', 'z'] })).toEqual([
      { a: 1, b: 'x' },
      { a: 1, b: 'y' },
      { a: 1, b: 'z' },
      { a: 2, b: 'x' },
      { a: 2, b: 'y' },
      { a: 2, b: 'z' },
    ]);
    const points = expandSweep({ base: {}, grid: { 'optimizer.lr': [0.1, 0.01], 'model.kernel.type': ['polynomial'], 'model.kernel.d': [2, 3] } });
    expect(points.map((p) => [p.config.optimizer.lr, p.config.model.kernel])).toEqual([
      [0.1, { type: 'polynomial', c: 1, d: 2, learnable: false }],
      [0.1, { type: 'polynomial', c: 1, d: 3, learnable: false }],
      [0.01, { type: 'polynomial', c: 1, d: 2, learnable: false }],
      [0.01, { type: 'polynomial', c: 1, d: 3, learnable: false }],
    ]);
  });

  it('draws distinct random points reproducibly', () => {
    const grid = gridPoints({ a: [1, 2, 3, 4], b: [1, 2, 3] });
    const first = randomPoints(grid, 5, 42);
    expect(first).toHaveLength(5);
    expect(new Set(first.map((p) => JSON.stringify(p))).size).toBe(5);
    expect(randomPoints(grid, 5, 42)).toEqual(first);
    expect(randomPoints(grid, 100, 1)).toHaveLength(12);
    expect(expandSweep({ base: {}, grid: { 'optimizer.lr': [0.1, 0.2, 0.3] }, randomDraws: 2, repeats: 2 })).toHaveLength(4);
  });

  it('rejects unknown fields, bad values and seed axes, naming the field', () => {
    expect(() => expandSweep({ base: {}, grid: { 'model.kernal.type': ['linear'] } })).toThrow(/model\.kernal\.type: not a run config field/);
    expect(() => expandSweep({ base: {}, grid: { seed: [1, 2] } })).toThrow(/use repeats/);
    const bad = () => expandSweep({ base: {}, grid: { 'model.kernel.type': ['linear', 'quadratic'] } });
    expect(bad).toThrow(ConfigError);
    expect(bad).toThrow(/type=quadratic/);
    expect(() => expandSweep({ base: {}, grid: { 'optimizer.lr': [0.1, -1] } })).toThrow(/optimizer\.lr/);
  });
});
