// What the screens show of an ASHA sweep: the Hyperparameters screen's rung and
// stopped-run tables, and the marks on a stopped run's curves.
import { describe, expect, it } from 'vitest';
import { ashaOverview } from '../../../src-renderer/src/lib/asha';
import { stopMarks } from '../../../src-renderer/src/lib/curves';
import type { RunRow } from '../../../src-main/shared/api';
import type { RungRecord } from '../../../src-main/shared/asha';

const run = (id: number, status: RunRow['status'], epochs: number | null, stoppedAt?: { epoch: number; value: number; cutoff: number }): RunRow =>
  ({
    id,
    name: `run ${id}`,
    status,
    config: { epochs: 9 },
    summary:
      epochs === null
        ? null
        : { epochs, ...(stoppedAt ? { asha: { metric: 'validationAccuracy', stoppedAtEpoch: stoppedAt.epoch, value: stoppedAt.value, cutoff: stoppedAt.cutoff, eta: 3 } } : {}) },
  }) as unknown as RunRow;

const record = (runId: number, epoch: number, value: number, verdict: 'continue' | 'stop', cutoff: number | null): RungRecord => ({ runId, epoch, value, cutoff, compared: 0, verdict, decidedAt: '' });

describe('the ASHA panel', () => {
  it('counts each rung, lists the stopped runs by rung, and sets the epochs trained against the full grid’s', () => {
    const rows = [run(1, 'completed', 9), run(2, 'completed', 1, { epoch: 1, value: 0.2, cutoff: 0.5 }), run(3, 'completed', 3, { epoch: 3, value: 0.6, cutoff: 0.7 }), run(4, 'running', null)];
    const records = [record(1, 1, 0.5, 'continue', null), record(2, 1, 0.2, 'stop', 0.5), record(3, 1, 0.55, 'continue', 0.4), record(1, 3, 0.7, 'continue', null), record(3, 3, 0.6, 'stop', 0.7)];
    const view = ashaOverview(rows, records, { minEpochs: 1, eta: 3, metric: 'validationAccuracy' });
    expect(view.rungs).toEqual([1, 3]);
    expect(view.maxEpochs).toBe(9);
    expect(view.rows.map((r) => [r.epoch, r.reached, r.continued, r.stopped, r.stoppedTooLate, r.best])).toEqual([
      [1, 3, 2, 1, 0, 0.55],
      [3, 2, 1, 1, 0, 0.7],
    ]);
    // A run arriving at rung 1 now must reach the 2/3 quantile of 0.2, 0.5, 0.55.
    expect(view.rows[0].cutoffNow).toBeCloseTo(0.5 + 0.05 / 3, 6);
    expect(view.stopped.map((s) => [s.id, s.epoch, s.value, s.cutoff])).toEqual([
      [2, 1, 0.2, 0.5],
      [3, 3, 0.6, 0.7],
    ]);
    expect(view).toMatchObject({ trainedFully: 1, unfinished: 1, epochsTrained: 13, fullEpochs: 27 });
  });

  it('counts a stop verdict that came after its run had trained past the rung as went on, and says so (was: counted as stopped)', () => {
    // Run 2 got "stop" at rung 1 too late: it trained all 9 epochs. Run 3 got it too late while still training (step 40 of 90 is epoch 4).
    const rows = [run(1, 'completed', 9), run(2, 'completed', 9), { ...run(3, 'running', null), summary: null, step: 40, totalSteps: 90 }, { ...run(4, 'running', null), summary: null, step: 10, totalSteps: 90 }];
    const records = [record(1, 1, 0.5, 'continue', null), record(2, 1, 0.2, 'stop', 0.5), record(3, 1, 0.1, 'stop', 0.5), record(4, 1, 0.1, 'stop', 0.5)];
    const view = ashaOverview(rows, records, { minEpochs: 1, eta: 3, metric: 'validationAccuracy' });
    expect(view.rows[0]).toMatchObject({ reached: 4, continued: 3, stopped: 1, stoppedTooLate: 2 });
    expect(view.stopped).toEqual([]);
    expect(view.trainedFully).toBe(2);
  });

  it('takes the lowest loss as a rung’s best', () => {
    const view = ashaOverview([run(1, 'completed', 9)], [record(1, 1, 0.9, 'continue', null), record(2, 1, 0.4, 'continue', 0.9)], { minEpochs: 1, eta: 2, metric: 'validationLoss' });
    expect(view.rows[0].best).toBe(0.4);
  });
});

describe('curve marks', () => {
  it('mark where ASHA stopped a run, and early stopping’s best epoch and stop', () => {
    expect(stopMarks({ asha: { metric: 'validationAccuracy', stoppedAtEpoch: 3, value: 0.5, cutoff: 0.6, eta: 3 } })).toEqual([{ epoch: 3, label: 'stopped by ASHA (epoch 3)' }]);
    expect(stopMarks({ earlyStopping: { metric: 'validationLoss', stoppedAtEpoch: 5, bestEpoch: 2, bestValue: 0.3, reason: 'x' } })).toEqual([
      { epoch: 2, label: 'best (epoch 2)' },
      { epoch: 5, label: 'stopped early (epoch 5)' },
    ]);
    expect(stopMarks(null)).toEqual([]);
  });
});
