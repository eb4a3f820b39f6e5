// train() end to end on the real Fashion-MNIST files (Debian's dataset-fashion-mnist),
// with tiny subsets so every run takes a few seconds on the wasm backend.
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { StepMetrics, TrainOutcome, TrainProgress } from '../../../../src-main/shared/progress';
import { parseRunConfig, type RunConfigInput } from '../../../../src-main/shared/run-config';
import { train } from '../../../../src-main/engine/train/train';

const tmp = mkdtempSync(join(os.tmpdir(), 'kerv-train-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** 3 steps of 16 images per epoch; 260 validation (the sample pool) and 100 test images. */
function config(overrides: RunConfigInput = {}) {
  return parseRunConfig({
    seed: 7,
    backend: 'wasm',
    epochs: 1,
    batchSize: 16,
    sampleCount: 4,
    ...overrides,
    optimizer: { type: 'adam', lr: 0.001, ...overrides.optimizer },
    schedule: { type: 'constant', ...overrides.schedule },
    model: { arch: 'lenet5', kernel: { type: 'polynomial' }, ...overrides.model },
    dataset: { name: 'fashion-mnist', trainSubset: 48, testSubset: 100, ...overrides.dataset },
  });
}

/** 0, 1, ..., 16: how many of a 16-image batch can be right. */
const WHOLE_OF_16 = Array.from({ length: 17 }, (_, k) => k);

interface Recorded {
  events: TrainProgress[];
  steps: StepMetrics[];
  outcome: TrainOutcome;
}

async function record(input: RunConfigInput, opts: { checkpointDir?: string; resumeFrom?: string; abortAfterStep?: number } = {}): Promise<Recorded> {
  const events: TrainProgress[] = [];
  const controller = new AbortController();
  const outcome = await train(config(input), {
    cacheDir: join(tmp, 'cache'),
    checkpointDir: opts.checkpointDir,
    resumeFrom: opts.resumeFrom,
    signal: controller.signal,
    progressIntervalMs: 0,
    onProgress: (p) => {
      events.push(p);
      if (p.type === 'steps' && opts.abortAfterStep !== undefined && p.steps.some((s) => s.step >= opts.abortAfterStep!)) controller.abort();
    },
  });
  const steps = events.flatMap((e) => (e.type === 'steps' ? e.steps : []));
  return { events, steps, outcome };
}

describe('train()', () => {
  it('reports started, contiguous steps, epoch metrics, and a test-set summary', async () => {
    const { events, steps, outcome } = await record({});
    const types = events.map((e) => e.type);
    expect(types[0]).toBe('started');
    expect(types.at(-1)).toBe('completed');
    const started = events[0] as Extract<TrainProgress, { type: 'started' }>;
    expect(started.environment.backend).toBe('wasm');
    expect(started.dataset).toMatchObject({ name: 'fashion-mnist', trainSize: 48, testSize: 100, inputShape: [28, 28, 1] });
    expect(started.dataset.mean[0]).toBeGreaterThan(0.1);
    expect(started.stepsPerEpoch).toBe(3);
    expect(started.totalSteps).toBe(3);
    expect(started.startStep).toBe(0);
    expect(started.parameterCount).toBeGreaterThan(40_000);
    expect(started.samples).toHaveLength(4);
    expect(Buffer.from(started.samples[0].pngBase64, 'base64').subarray(1, 4).toString()).toBe('PNG');

    expect(steps.map((s) => s.step)).toEqual([1, 2, 3]);
    for (const s of steps) {
      expect(s.epoch).toBe(1);
      expect(s.loss).toBeGreaterThan(0);
      // The accuracy of one batch of 16 images: a whole number of them, out of 16.
      expect(WHOLE_OF_16).toContain(s.accuracy * 16);
      expect(s.learningRate).toBe(0.001);
      expect(s.imagesPerSecond).toBeGreaterThan(0);
    }
    const epoch = events.find((e) => e.type === 'epoch');
    if (epoch?.type !== 'epoch') throw new Error('no epoch event');
    const m = epoch.metrics;
    expect(m.step).toBe(3);
    expect(m.validationAccuracy).not.toBeNull();
    expect(m.confusion).toHaveLength(10);
    expect(m.confusion.flat().reduce((a, b) => a + b, 0)).toBe(started.dataset.validationSize);
    expect(m.perClassAccuracy).toHaveLength(10);
    expect(m.samplePredictions).toHaveLength(4);
    for (const p of m.samplePredictions) {
      expect(p.top).toHaveLength(3);
      expect(p.top[0].probability).toBeGreaterThanOrEqual(p.top[1].probability);
      expect(p.loss).toBeGreaterThan(0);
    }
    expect(outcome.status).toBe('completed');
    if (outcome.status !== 'completed') return;
    expect(outcome.summary.steps).toBe(3);
    // Measured on the 100 test images: a whole number of them, out of 100.
    const correct = outcome.summary.testAccuracy! * 100;
    expect(correct).toBeCloseTo(Math.round(correct), 6);
    expect(Math.round(correct)).toBeGreaterThanOrEqual(0);
    expect(Math.round(correct)).toBeLessThanOrEqual(100);
    expect(outcome.summary.testLoss).toBeGreaterThan(0);
  });

  it('is deterministic: the same config and seed give identical losses; another seed does not', async () => {
    const a = await record({});
    const b = await record({});
    const c = await record({ seed: 8 });
    expect(a.steps.map((s) => s.loss)).toEqual(b.steps.map((s) => s.loss));
    expect(a.steps.map((s) => s.loss)).not.toEqual(c.steps.map((s) => s.loss));
  });

  it('2 epochs equal 1 epoch + resume for 1 more: same steps, same losses', async () => {
    const input: RunConfigInput = { epochs: 2, optimizer: { type: 'adamw', lr: 0.003, weightDecay: 0.05 } };
    const straight = await record(input);
    const dir = join(tmp, 'resume');
    const first = await record({ ...input, epochs: 1 }, { checkpointDir: dir });
    expect(first.events.some((e) => e.type === 'checkpoint')).toBe(true);
    const second = await record(input, { resumeFrom: dir, checkpointDir: dir });
    const started = second.events[0];
    expect(started.type === 'started' && started.startStep).toBe(3);
    const joined = [...first.steps, ...second.steps];
    expect(joined.map((s) => s.step)).toEqual([1, 2, 3, 4, 5, 6]);
    joined.forEach((s, i) => expect(s.loss).toBeCloseTo(straight.steps[i].loss, 5));
    if (straight.outcome.status !== 'completed' || second.outcome.status !== 'completed') throw new Error('not completed');
    expect(second.outcome.summary.testAccuracy).toBeCloseTo(straight.outcome.summary.testAccuracy!, 5);
    expect(readdirSync(dir)).toEqual(['step-00000006']);
  });

  it('cancel mid-epoch stops after the current step, checkpoints, and resumes on the same curve', async () => {
    const input: RunConfigInput = { epochs: 2 };
    const straight = await record(input);
    const dir = join(tmp, 'cancel');
    const cancelled = await record(input, { checkpointDir: dir, abortAfterStep: 4 });
    expect(cancelled.outcome).toEqual({ status: 'cancelled', epoch: 2, step: 4 });
    expect(cancelled.events.some((e) => e.type === 'completed')).toBe(false);
    expect(readdirSync(dir).sort()).toEqual(['step-00000003', 'step-00000004-partial']);
    const resumed = await record(input, { resumeFrom: dir, checkpointDir: dir });
    const joined = [...cancelled.steps, ...resumed.steps];
    expect(joined.map((s) => s.step)).toEqual([1, 2, 3, 4, 5, 6]);
    joined.forEach((s, i) => expect(s.loss).toBeCloseTo(straight.steps[i].loss, 5));
    const epochOf = (r: Recorded) => r.events.filter((e) => e.type === 'epoch').map((e) => (e.type === 'epoch' ? e.metrics.trainLoss : 0));
    expect(epochOf(resumed)[0]).toBeCloseTo(epochOf(straight)[1], 5);
  });

  it('refuses to resume with a different config, naming the fields', async () => {
    // Its own checkpoint, so the test does not depend on which tests ran before it.
    const dir = join(tmp, 'resume-mismatch');
    await record({}, { checkpointDir: dir });
    await expect(record({ epochs: 3, optimizer: { lr: 0.5 } }, { resumeFrom: dir })).rejects.toThrow(/optimizer/);
  });

  it('stops with outcome diverged when the loss becomes NaN or infinite', async () => {
    // An MLP (no ReLU-dead ends to hide in) at lr 10 with heavy momentum overflows within a few steps.
    const { outcome, events } = await record({ epochs: 3, dataset: { trainSubset: 160 }, optimizer: { type: 'sgd', lr: 10, momentum: 0.99 }, model: { arch: 'mlp', kernel: { type: 'linear' } } });
    expect(outcome.status).toBe('diverged');
    if (outcome.status !== 'diverged') return;
    expect(outcome.reason).toMatch(/^loss became (NaN|infinite) at step \d+ \(epoch \d\)$/);
    expect(outcome.reason).toContain(`step ${outcome.step} (epoch ${outcome.epoch})`);
    expect(events.some((e) => e.type === 'completed')).toBe(false);
    expect(events.some((e) => e.type === 'log' && e.level === 'error')).toBe(true);
  });

  it('does not leak tensors from step to step, nor after the run', async () => {
    const counts: number[] = [];
    await record({}); // warm-up: kernels and caches allocated once per process
    const before = tf.memory().numTensors;
    await train(config({ dataset: { trainSubset: 96 } }), {
      cacheDir: join(tmp, 'cache'),
      progressIntervalMs: 0,
      onProgress: (p) => {
        if (p.type === 'steps') counts.push(tf.memory().numTensors);
      },
    });
    expect(counts).toHaveLength(6);
    expect(new Set(counts.slice(1)).size).toBe(1);
    expect(tf.memory().numTensors).toBe(before); // the model and optimiser state are released too
  });
});
