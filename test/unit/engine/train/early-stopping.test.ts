// Early stopping (run config earlyStopping): the count itself, then train() on the
// real Fashion-MNIST: a run that cannot improve stops after `patience` epochs, and
// with restoreBest its test accuracy is that of its best epoch's weights.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EarlyStopping } from '../../../../src-main/engine/train/early-stopping';
import { train } from '../../../../src-main/engine/train/train';
import type { TrainProgress, TrainSummary } from '../../../../src-main/shared/progress';
import { earlyStoppingConfigSchema, parseRunConfig, type RunConfigInput } from '../../../../src-main/shared/run-config';

const tmp = mkdtempSync(join(os.tmpdir(), 'kerv-early-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('EarlyStopping', () => {
  it('counts epochs without an improvement larger than minDelta, and stops at patience', () => {
    const early = new EarlyStopping(earlyStoppingConfigSchema.parse({ metric: 'validationAccuracy', patience: 2, minDelta: 0.01 }));
    expect(early.observe(1, 0.8)).toEqual({ improved: true, stop: false });
    expect(early.observe(2, 0.805)).toEqual({ improved: false, stop: false }); // not by more than 0.01
    expect(early.observe(3, 0.85)).toEqual({ improved: true, stop: false });
    expect(early.observe(4, Number.NaN)).toEqual({ improved: false, stop: false });
    expect(early.observe(5, 0.84)).toEqual({ improved: false, stop: true });
    expect(early.snapshot()).toEqual({ bestValue: 0.85, bestEpoch: 3, epochsWithoutImprovement: 2 });
    expect(early.reason()).toBe('validation accuracy did not improve by more than 0.01 for 2 epochs (best 85.00% at epoch 3)');
  });

  it('watches the loss going down, and carries on from a checkpointed count', () => {
    const config = earlyStoppingConfigSchema.parse({ metric: 'validationLoss', patience: 3 });
    const early = new EarlyStopping(config, { bestValue: 0.5, bestEpoch: 4, epochsWithoutImprovement: 2 });
    expect(early.observe(7, 0.6)).toEqual({ improved: false, stop: true });
    expect(new EarlyStopping(config).observe(1, 0.5).improved).toBe(true);
    const resumed = new EarlyStopping(config, { bestValue: 0.5, bestEpoch: 4, epochsWithoutImprovement: 2 });
    expect(resumed.observe(7, 0.4)).toEqual({ improved: true, stop: false });
    expect(resumed.reason()).toBe('validation loss did not improve for 3 epochs (best 0.4000 at epoch 7)');
  });

  it('is refused without a validation split, naming the field', () => {
    expect(() => parseRunConfig({ earlyStopping: {}, dataset: { validationFraction: 0 } })).toThrow(/earlyStopping: needs a validation split to watch: dataset\.validationFraction is 0/);
    expect(() => parseRunConfig({ earlyStopping: { patience: 0 } })).toThrow(/earlyStopping\.patience/);
    expect(() => parseRunConfig({ earlyStopping: { metric: 'accuracy' } })).toThrow(/earlyStopping\.metric: must be one of "validationAccuracy", "validationLoss"/);
    // Absent unless asked for, so configs from before it hash as they did.
    expect('earlyStopping' in parseRunConfig({})).toBe(false);
  });
});

/** A quarter-width MLP on 480 images: 7 steps an epoch, 48 validation and 100 test images. */
async function run(overrides: RunConfigInput): Promise<{ summary: TrainSummary; epochs: number[]; logs: string[] }> {
  const events: TrainProgress[] = [];
  const config = parseRunConfig({
    seed: 3,
    backend: 'wasm',
    threads: 1,
    batchSize: 64,
    sampleCount: 0,
    model: { arch: 'mlp', widthMultiplier: 0.25 },
    optimizer: { type: 'adam', lr: 0.003 },
    schedule: { type: 'constant' },
    dataset: { name: 'fashion-mnist', trainSubset: 480, testSubset: 100 },
    ...overrides,
  });
  const outcome = await train(config, { cacheDir: join(tmp, 'cache'), checkpointDir: join(tmp, `ckpt-${Math.random()}`), onProgress: (p) => events.push(p) });
  if (outcome.status !== 'completed') throw new Error(`run ended ${outcome.status}`);
  return {
    summary: outcome.summary,
    epochs: events.flatMap((e) => (e.type === 'epoch' ? [e.metrics.epoch] : [])),
    logs: events.flatMap((e) => (e.type === 'log' ? [e.message] : [])),
  };
}

describe('train() with early stopping', () => {
  it('stops a run whose validation loss cannot improve by minDelta after `patience` epochs, and tests the best epoch’s weights', async () => {
    // Nothing beats epoch 1 by 10 nats, so epochs 2 and 3 count against it and the run stops after 3 of 8.
    const stopped = await run({ epochs: 8, earlyStopping: { metric: 'validationLoss', patience: 2, minDelta: 10 } });
    expect(stopped.epochs).toEqual([1, 2, 3]);
    expect(stopped.summary.epochs).toBe(3);
    expect(stopped.summary.earlyStopping).toMatchObject({ metric: 'validationLoss', stoppedAtEpoch: 3, bestEpoch: 1, reason: expect.stringMatching(/^validation loss did not improve by more than 10 for 2 epochs \(best \d\.\d{4} at epoch 1\)$/) });
    expect(stopped.summary.testedOn).toEqual({ model: 'best', epoch: 1 });
    expect(stopped.logs).toContain(`Stopped early after epoch 3 of 8: ${stopped.summary.earlyStopping!.reason}.`);

    // The same seed trained for one epoch: the same weights, so the same test result.
    const oneEpoch = await run({ epochs: 1 });
    expect(stopped.summary.testAccuracy).toBe(oneEpoch.summary.testAccuracy);
    expect(stopped.summary.testLoss).toBe(oneEpoch.summary.testLoss);

    // restoreBest: false tests the last epoch's weights instead.
    const last = await run({ epochs: 8, earlyStopping: { metric: 'validationLoss', patience: 2, minDelta: 10, restoreBest: false } });
    expect(last.summary.testedOn).toEqual({ model: 'last', epoch: 3 });
    expect(last.summary.testLoss).not.toBe(oneEpoch.summary.testLoss);
  });
});
