// The learning-rate range test (engine/train/lr-find.ts) on the real Fashion-MNIST:
// the rate grows exponentially, the test stops once the loss diverges, and the
// suggestions land where the loss falls.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findLearningRate, rateAt, suggestLearningRates } from '../../../../src-main/engine/train/lr-find';
import { lrFindOptionsSchema, type LrFindPoint } from '../../../../src-main/shared/lr-find';
import { parseRunConfig } from '../../../../src-main/shared/run-config';

const tmp = mkdtempSync(join(os.tmpdir(), 'kerv-lr-find-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('suggestLearningRates', () => {
  it('takes the steepest fall against log(rate) before the minimum, and a tenth of the minimum', () => {
    // A loss flat at first, falling fastest around 1e-3, lowest at 1e-1, then rising.
    const lrs = Array.from({ length: 41 }, (_, i) => 10 ** (-6 + i / 8));
    const points: LrFindPoint[] = lrs.map((lr, i) => {
      const x = Math.log10(lr);
      const smoothed = x < -1 ? 2 - 1.5 / (1 + Math.exp(-3 * (x + 3))) : 0.5 + (x + 1) ** 2;
      return { step: i + 1, lr, loss: smoothed, smoothed };
    });
    const { steepest, minimumDiv10 } = suggestLearningRates(points);
    expect(Math.log10(steepest!)).toBeCloseTo(-3, 0);
    expect(minimumDiv10).toBeCloseTo(1e-2, 10);
    expect(suggestLearningRates(points.slice(0, 2))).toEqual({ steepest: null, minimumDiv10: null });
  });

  it('sweeps the rate exponentially from startLr to endLr', () => {
    const options = lrFindOptionsSchema.parse({ startLr: 1e-6, endLr: 1000, steps: 10 });
    const rates = Array.from({ length: 10 }, (_, i) => rateAt(i, options));
    rates.forEach((rate, i) => expect(Math.log10(rate)).toBeCloseTo(i - 6, 10));
    expect(() => lrFindOptionsSchema.parse({ startLr: 1, endLr: 0.1 })).toThrow(/endLr must be larger than startLr/);
  });
});

describe('findLearningRate', () => {
  it('trains the run’s model while the rate grows, stops when the loss diverges, and suggests a rate where it fell', async () => {
    const config = parseRunConfig({
      seed: 1,
      backend: 'wasm',
      threads: 1,
      batchSize: 32,
      model: { arch: 'mlp', widthMultiplier: 0.25 },
      optimizer: { type: 'sgd', lr: 0.01, momentum: 0.9 },
      dataset: { name: 'fashion-mnist', trainSubset: 640, testSubset: 32 },
    });
    const seen: number[] = [];
    const result = await findLearningRate(config, {
      cacheDir: join(tmp, 'cache'),
      finder: lrFindOptionsSchema.parse({ startLr: 1e-5, endLr: 100, steps: 120 }),
      onPoint: (p) => seen.push(p.step),
    });
    // SGD at a rate of 100 blows up: the test stops on its own, before its last step.
    expect(result.stoppedBy).toBe('diverged');
    expect(result.points.length).toBeLessThan(120);
    expect(seen).toEqual(result.points.map((p) => p.step));
    const first = result.points.slice(0, 10).map((p) => p.loss);
    expect(first.every((l) => l > 2 && l < 3.5)).toBe(true); // untrained: about ln(10) ≈ 2.3
    // It learned in between: the smoothed loss fell well below where it started.
    const start = result.points[9].smoothed;
    expect(Math.min(...result.points.map((p) => p.smoothed))).toBeLessThan(0.8 * start);
    const { steepest, minimumDiv10 } = result.suggestions;
    expect(steepest).toBeGreaterThan(1e-4);
    expect(steepest).toBeLessThan(10);
    expect(minimumDiv10).toBeGreaterThan(1e-4);
    expect(result.environment.backend).toBe('wasm');
  });
});
