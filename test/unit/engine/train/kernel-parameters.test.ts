// Learnable kernel parameters end to end, and the diagnostics a run records:
// train() emits 'scalars' with the learned γ / c per layer, gradient and weight
// norms and kervolution activations; a sampled step trains exactly like any
// other; checkpoints keep the learned values (also from configs that still say
// learnable: true); the summary carries the final values for export tables.
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScalarSample, StepMetrics, TrainOutcome, TrainProgress, TrainSummary } from '../../../../src-main/shared/progress';
import { parseRunConfig, type RunConfigInput } from '../../../../src-main/shared/run-config';
import { train } from '../../../../src-main/engine/train/train';
import { findCheckpoint } from '../../../../src-main/engine/train/checkpoint';
import { initBackend } from '../../../../src-main/engine/backend/select-backend';
import { KervConv2D, kervConv2dLayer } from '../../../../src-main/engine/layers/kerv-conv2d-layer';
import { buildExportTable, type ExportRun } from '../../../../src-main/service/export-table';

const tmp = mkdtempSync(join(os.tmpdir(), 'kerv-kernel-params-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
beforeAll(async () => {
  await initBackend('wasm');
});

/** LeNet-5, 3 steps of 16 Fashion-MNIST images, adam at a rate that moves γ visibly. */
function config(model: RunConfigInput['model'], overrides: RunConfigInput = {}) {
  return parseRunConfig({
    seed: 3,
    backend: 'wasm',
    epochs: 1,
    batchSize: 16,
    sampleCount: 0,
    optimizer: { type: 'adam', lr: 0.01 },
    schedule: { type: 'constant' },
    model: { arch: 'lenet5', ...model },
    dataset: { name: 'fashion-mnist', trainSubset: 48, testSubset: 100, validationFraction: 0.05 },
    ...overrides,
  });
}

interface Recorded {
  steps: StepMetrics[];
  scalars: ScalarSample[];
  logs: string[];
  outcome: TrainOutcome;
}

async function record(input: ReturnType<typeof config>, opts: { progressIntervalMs?: number; checkpointDir?: string; resumeFrom?: string } = {}): Promise<Recorded> {
  const events: TrainProgress[] = [];
  const outcome = await train(input, { cacheDir: join(tmp, 'cache'), progressIntervalMs: opts.progressIntervalMs ?? 0, checkpointDir: opts.checkpointDir, resumeFrom: opts.resumeFrom, onProgress: (p) => events.push(p) });
  return {
    steps: events.flatMap((e) => (e.type === 'steps' ? e.steps : [])),
    scalars: events.flatMap((e) => (e.type === 'scalars' ? e.samples : [])),
    logs: events.flatMap((e) => (e.type === 'log' ? [e.message] : [])),
    outcome,
  };
}

const summaryOf = (r: Recorded): TrainSummary => {
  if (r.outcome.status !== 'completed') throw new Error(`run ${r.outcome.status}`);
  return r.outcome.summary;
};

describe('learnable kernel parameters in training', () => {
  let gaussian: Recorded;
  beforeAll(async () => {
    gaussian = await record(config({ kernel: { type: 'gaussian', gamma: 0.5, learnable: 'channel' } }));
  }, 120_000);

  it('emits one scalars sample per progress tick with γ per channel (mean/min/max) of every kervolution, moving as it learns', () => {
    expect(gaussian.scalars.map((s) => s.step)).toEqual([1, 2, 3]); // progressIntervalMs 0: every step is a tick
    const names = Object.keys(gaussian.scalars[0].values);
    const gammaLayers = [...new Set(names.filter((n) => /^kernel\/.+\/gamma\/mean$/.test(n)).map((n) => n.split('/')[1]))];
    expect(gammaLayers).toHaveLength(2); // LeNet-5's two convolutions
    for (const sample of gaussian.scalars) {
      for (const layer of gammaLayers) {
        const [mean, min, max] = ['mean', 'min', 'max'].map((s) => sample.values[`kernel/${layer}/gamma/${s}`]);
        expect(min).toBeGreaterThan(0);
        expect(min).toBeLessThanOrEqual(mean);
        expect(mean).toBeLessThanOrEqual(max);
        expect(Math.abs(mean - 0.5)).toBeLessThan(0.2); // three adam steps of 0.01 on log γ
      }
    }
    const first = gaussian.scalars[0].values;
    const last = gaussian.scalars[2].values;
    const layer = gammaLayers[0];
    expect(last[`kernel/${layer}/gamma/max`] - last[`kernel/${layer}/gamma/min`]).toBeGreaterThan(0); // channels learn apart
    expect(last[`kernel/${layer}/gamma/mean`]).not.toBe(first[`kernel/${layer}/gamma/mean`]);
  });

  it('records gradient and weight norms of every trained layer and the kervolutions\' activations', () => {
    const values = gaussian.scalars[0].values;
    const layers = Object.keys(values).filter((n) => n.startsWith('grad_norm/')).map((n) => n.slice('grad_norm/'.length));
    expect(layers.length).toBeGreaterThanOrEqual(5); // 2 convolutions + 3 dense layers of LeNet-5
    for (const layer of layers) {
      expect(values[`grad_norm/${layer}`]).toBeGreaterThan(0);
      expect(values[`weight_norm/${layer}`]).toBeGreaterThan(0);
    }
    const kerv = Object.keys(values).filter((n) => n.startsWith('activation/') && n.endsWith('/std'));
    expect(kerv).toHaveLength(2);
    for (const name of kerv) {
      expect(values[name]).toBeGreaterThan(0);
      // The bias starts at minus the mean response (kerv-init.ts): centred at the first step.
      expect(Math.abs(values[name.replace(/std$/, 'mean')])).toBeLessThan(values[name]);
    }
  });

  it('ends with the learned values in the summary, which export tables show by name', () => {
    const summary = summaryOf(gaussian);
    const last = gaussian.scalars.at(-1)!.values;
    const kernelNames = Object.keys(last).filter((n) => n.startsWith('kernel/'));
    expect(Object.keys(summary.kernelParameters ?? {}).sort()).toEqual(kernelNames.sort());
    for (const name of kernelNames) expect(summary.kernelParameters![name]).toBeCloseTo(last[name], 6);

    const column = kernelNames.find((n) => n.endsWith('/mean'))!;
    const run = { id: 1, name: 'g', status: 'completed', groupId: null, config: config({ kernel: { type: 'gaussian' } }), step: 3, durationMs: 1, bestValidationAccuracy: null, testAccuracy: null, parameterCount: null, summary, lastEpoch: null } satisfies ExportRun;
    const table = buildExportTable([run], { columns: ['id', column] });
    expect(table.columns[1]).toMatchObject({ key: column, numeric: true });
    expect(table.rows[0][1]).toBe(summary.kernelParameters![column]);
    expect(() => buildExportTable([run], { columns: ['kernel/conv1'] })).toThrow(/learned kernel parameter/);
  });

  it('learns one c per layer with learnable "scalar" (polynomial), kept ≥ 0', async () => {
    const r = await record(config({ kernel: { type: 'polynomial', learnable: 'scalar' }, kervLayers: 'stem' }));
    const names = Object.keys(r.scalars[0].values).filter((n) => n.startsWith('kernel/'));
    expect(names).toHaveLength(1);
    expect(names[0]).toMatch(/^kernel\/[^/]+\/c$/);
    for (const s of r.scalars) expect(s.values[names[0]]).toBeGreaterThanOrEqual(0);
    expect(summaryOf(r).kernelParameters![names[0]]).toBeCloseTo(r.scalars.at(-1)!.values[names[0]], 6);
  }, 120_000);

  it('trains a sampled step exactly like an unsampled one, and records no kernel parameters when they are fixed', async () => {
    const kernel = { type: 'gaussian' as const, gamma: 0.5, learnable: 'channel' as const };
    const everyStep = gaussian;
    const firstOnly = await record(config({ kernel }), { progressIntervalMs: 3_600_000 });
    expect(firstOnly.scalars.map((s) => s.step)).toEqual([1]);
    expect(firstOnly.steps.map((s) => s.loss)).toEqual(everyStep.steps.map((s) => s.loss));
    expect(summaryOf(firstOnly).kernelParameters).toEqual(summaryOf(everyStep).kernelParameters);

    const fixed = await record(config({ kernel: { type: 'gaussian', gamma: 0.5 } }), { progressIntervalMs: 3_600_000 });
    expect(Object.keys(fixed.scalars[0].values).some((n) => n.startsWith('kernel/'))).toBe(false);
    expect(Object.keys(fixed.scalars[0].values).some((n) => n.startsWith('grad_norm/'))).toBe(true);
    expect(summaryOf(fixed).kernelParameters).toBeUndefined();
  }, 180_000);

  it('keeps the learned values in checkpoints, also for a checkpoint whose config says learnable: true', async () => {
    const dir = join(tmp, 'ckpt');
    const first = await record(config({ kernel: { type: 'gaussian', gamma: 0.5, learnable: 'channel' } }), { checkpointDir: dir });
    const learned = summaryOf(first).kernelParameters!;
    // As a checkpoint from before the learnable modes (and before checkpoint manifests) would have it.
    const checkpoint = await findCheckpoint(dir);
    const stateFile = join(checkpoint, 'state.json');
    const state = JSON.parse(readFileSync(stateFile, 'utf8'));
    state.config.model.kernel.learnable = true;
    writeFileSync(stateFile, JSON.stringify(state));
    rmSync(join(checkpoint, 'manifest.json'));
    // Nothing left to train: the summary reads the restored parameters.
    const resumed = await record(config({ kernel: { type: 'gaussian', gamma: 0.5, learnable: true } }), { resumeFrom: dir });
    expect(resumed.steps).toEqual([]);
    expect(summaryOf(resumed).kernelParameters).toEqual(learned);
  }, 180_000);
});

describe("gamma: 'auto' in training", () => {
  it('logs the γ chosen per layer, records it as a constant kernel/<layer>/gamma, and a checkpoint keeps it', async () => {
    const dir = join(tmp, 'ckpt-auto');
    const first = await record(config({ kernel: { type: 'gaussian' } }), { checkpointDir: dir }); // 'auto' is the default
    const chosen = first.logs.filter((m) => m.startsWith('auto kernel parameter, '));
    expect(chosen.map((m) => m.match(/, (\w+): γ = /)?.[1])).toEqual(['conv1', 'conv2']);
    const logged = chosen.map((m) => Number(m.match(/γ = ([0-9.e-]+)/)![1]));
    const summary = summaryOf(first).kernelParameters!;
    expect(Object.keys(summary).sort()).toEqual(['kernel/conv1/gamma', 'kernel/conv2/gamma']);
    // fixed (not learnable): every sample the value logged at the start, to the 3 digits logged
    for (const sample of first.scalars) {
      expect(sample.values['kernel/conv1/gamma']).toBe(summary['kernel/conv1/gamma']);
      expect(sample.values['kernel/conv2/gamma']).toBe(summary['kernel/conv2/gamma']);
    }
    expect(summary['kernel/conv1/gamma'].toPrecision(3)).toBe(logged[0].toPrecision(3));
    expect(summary['kernel/conv2/gamma'].toPrecision(3)).toBe(logged[1].toPrecision(3));
    // not γ = 1, not the data-free 1/(2·dim) of conv1's 25-value patches: chosen from the data
    expect(summary['kernel/conv1/gamma']).not.toBeCloseTo(1 / 50, 4);
    // resumed: the weights (γ among them) come from the checkpoint, nothing is chosen again
    const resumed = await record(config({ kernel: { type: 'gaussian', gamma: 'auto' } }), { resumeFrom: dir });
    expect(resumed.steps).toEqual([]);
    expect(resumed.logs.some((m) => m.startsWith('auto kernel parameter'))).toBe(false);
    expect(summaryOf(resumed).kernelParameters).toEqual(summary);
  }, 180_000);
});

describe('learnable modes of a KervConv2D', () => {
  it("holds γ as one weight [1] for 'scalar', [filters] for 'channel' (and for a saved true), none when fixed", () => {
    const shapes = (learnable: unknown) => {
      const layer = kervConv2dLayer({ filters: 4, kernelSize: 3, kernel: { type: 'laplacian', gamma: 2, learnable } as never });
      layer.build([null, 6, 6, 2]);
      return layer.trainableWeights.slice(2).map((w) => [w.originalName.split('/').pop(), w.shape]);
    };
    expect(shapes('scalar')).toEqual([['log_gamma', [1]]]);
    expect(shapes('channel')).toEqual([['log_gamma', [4]]]);
    expect(shapes(true)).toEqual([['log_gamma', [4]]]);
    expect(shapes(false)).toEqual([]);
    expect(() => shapes('sometimes')).toThrow(/kernel\.learnable/);
  });

  it('reports its learned parameters as the kernel uses them (γ, not log γ)', () => {
    const layer = kervConv2dLayer({ filters: 3, kernelSize: 1, kernel: { type: 'gaussian', gamma: 0.25, learnable: 'channel' } }) as KervConv2D;
    layer.build([null, 4, 4, 1]);
    const [{ name, value }] = layer.kernelParameters();
    expect(name).toBe('gamma');
    expect(Array.from(value.dataSync())).toEqual([0.25, 0.25, 0.25].map((v) => Math.fround(Math.exp(Math.fround(Math.log(v))))));
    tf.dispose(value);
  });
});
