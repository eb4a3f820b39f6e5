import { describe, expect, it } from 'vitest';
import { ashaEpochBudget, ashaRungs, decideRung, describeRungDecision, quantile } from '../../../src-main/shared/asha';
import { expandSweep, sweepAsha } from '../../../src-main/service/sweep';
import { ConfigError } from '../../../src-main/shared/run-config';

describe('ASHA rungs and the rule', () => {
  it('puts rungs at r, ηr, η²r, … strictly below R', () => {
    expect(ashaRungs({ minEpochs: 1, eta: 3 }, 9)).toEqual([1, 3]);
    expect(ashaRungs({ minEpochs: 1, eta: 3 }, 10)).toEqual([1, 3, 9]);
    expect(ashaRungs({ minEpochs: 2, eta: 2 }, 20)).toEqual([2, 4, 8, 16]);
    expect(ashaRungs({ minEpochs: 5, eta: 3 }, 5)).toEqual([]);
  });

  it('takes the quantile as numpy does (linear interpolation)', () => {
    expect(quantile([1, 2, 3, 4], 2 / 3)).toBeCloseTo(3);
    expect(quantile([10, 0], 0.5)).toBe(5);
    expect(quantile([7], 0.9)).toBe(7);
  });

  it('keeps the top 1/η of the values recorded so far: the first run at a rung continues, a tie continues', () => {
    const accuracy = { eta: 3, metric: 'validationAccuracy' } as const;
    expect(decideRung(0.1, [], accuracy)).toEqual({ stop: false, cutoff: null });
    // One earlier value: it is the cutoff (Ray Tune's ASHAScheduler does the same).
    expect(decideRung(0.5, [0.6], accuracy)).toEqual({ stop: true, cutoff: 0.6 });
    expect(decideRung(0.6, [0.6], accuracy)).toEqual({ stop: false, cutoff: 0.6 });
    // Of 0.1..0.9 the top third starts at the 2/3 quantile, 0.6333.
    const nine = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];
    expect(decideRung(0.63, nine, accuracy).stop).toBe(true);
    expect(decideRung(0.64, nine, accuracy).stop).toBe(false);
  });

  it('judges a loss the other way round, and stops a value that is not a number', () => {
    const loss = { eta: 3, metric: 'validationLoss' } as const;
    const nine = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];
    expect(decideRung(0.36, nine, loss)).toEqual({ stop: false, cutoff: expect.closeTo(0.3667, 3) });
    expect(decideRung(0.37, nine, loss).stop).toBe(true);
    expect(decideRung(Number.NaN, nine, loss).stop).toBe(true);
    expect(decideRung(null, [0.5], loss).stop).toBe(true);
  });

  it('says in words what was decided', () => {
    const options = { eta: 3, metric: 'validationAccuracy' } as const;
    expect(describeRungDecision(3, 0.5, { stop: true, cutoff: 0.6 }, options)).toBe(
      "ASHA rung at epoch 3: validation accuracy 50.00% is below the rung's cutoff 60.00% (top 1/3 of the runs so far): stopped",
    );
    expect(describeRungDecision(1, 0.5, { stop: false, cutoff: null }, options)).toMatch(/the first value at this rung: continues$/);
  });

  it('estimates the epochs of a 27-point grid with r = 1, η = 3, R = 9: 27 + 9·2 + 3·6 = 63 of 243', () => {
    expect(ashaEpochBudget(27, 9, { minEpochs: 1, eta: 3 })).toEqual({ epochs: 63, fullEpochs: 243 });
    expect(ashaEpochBudget(4, 3, { minEpochs: 3, eta: 3 })).toEqual({ epochs: 12, fullEpochs: 12 });
  });
});

describe('an ASHA sweep request', () => {
  const base = { epochs: 9, dataset: { name: 'fashion-mnist' as const } };
  const grid = { 'optimizer.lr': [0.1, 0.01] };

  function refusal(fn: () => unknown): { path: string; message: string }[] {
    try {
      fn();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as ConfigError).issues;
    }
    throw new Error('not refused');
  }

  it('fills in η = 3 and validation accuracy', () => {
    const request = { base, grid, asha: { minEpochs: 1 } };
    expect(sweepAsha(request, expandSweep(request))).toEqual({ minEpochs: 1, eta: 3, metric: 'validationAccuracy' });
  });

  it('is refused, naming the field, without a rung below the epochs, with η < 2, without a validation split, or with epochs as an axis', () => {
    expect(refusal(() => expandSweep({ base, grid, asha: { minEpochs: 9 } }))[0]).toMatchObject({ path: 'asha.minEpochs', message: expect.stringContaining("below the runs' epochs (9)") });
    expect(refusal(() => expandSweep({ base, grid, asha: { minEpochs: 1, eta: 1 } }))[0].path).toBe('asha.eta');
    expect(refusal(() => expandSweep({ base: { ...base, dataset: { name: 'fashion-mnist' as const, validationFraction: 0 } }, grid, asha: { minEpochs: 1 } }))[0]).toMatchObject({
      path: 'asha',
      message: expect.stringContaining('validation split'),
    });
    expect(refusal(() => expandSweep({ base, grid: { epochs: [3, 9] }, asha: { minEpochs: 1 } }))[0]).toMatchObject({ path: 'asha', message: expect.stringContaining('epochs') });
  });
});
