import { describe, expect, it } from 'vitest';
import { epochCurvesFromSeries, kernelOfRunName, thresholdTable } from '../../../bench/reproduction-kerv';

const HEADER = 'run_id,run_name,step,epoch,wall_time_ms,metric,value';
/** One run's val_accuracy rows: [epoch, wall ms, accuracy]. */
const rows = (id: number, name: string, points: [number, number, number][]) =>
  points.map(([epoch, ms, acc]) => `${id},${name},${epoch * 100},${epoch},${ms},val_accuracy,${acc}`);

describe('reproduction convergence tables', () => {
  it('names the kernel a sweep run is of', () => {
    expect(kernelOfRunName('reproduction-lenet5 type=polynomial seed=2')).toBe('polynomial');
    expect(kernelOfRunName('reproduction-lenet5 type=laplacian seed=0')).toBe('laplacian');
    expect(kernelOfRunName('my run')).toBe('my run');
  });

  it('reports the first epoch and its wall time at which each run reached a threshold, over the runs that did', () => {
    const csv = [
      HEADER,
      ...rows(1, 'r type=linear seed=0', [[1, 10_000, 0.84], [2, 20_000, 0.86], [3, 30_000, 0.91]]),
      ...rows(2, 'r type=linear seed=1', [[1, 12_000, 0.86], [2, 24_000, 0.88], [3, 36_000, 0.89]]),
      ...rows(3, 'r type=gaussian seed=0', [[1, 15_000, 0.7], [2, 30_000, 0.8], [3, 45_000, 0.84]]),
      // Step metrics in the same file are not epochs.
      '1,r type=linear seed=0,5,1,500,loss,2.3',
    ].join('\r\n');
    const curves = epochCurvesFromSeries(csv);
    expect([...curves.keys()]).toEqual(['linear', 'gaussian']);
    expect(curves.get('linear')?.[0]).toEqual({ accuracy: [0.84, 0.86, 0.91], wallTimeMs: [10_000, 20_000, 30_000] });
    const table = thresholdTable(curves).split('\n');
    // 85 %: linear at epochs 2 and 1 (mean 1.5) at 20 s and 12 s (mean 16 s); 90 %: only seed 0, epoch 3 at 30 s.
    expect(table[2]).toBe('| linear | 1.5 (2/2) | 16.0 | 3.0 (1/2) | 30.0 |');
    expect(table[3]).toBe('| gaussian | — (0/1) | — | — (0/1) | — |');
  });
});
