// Every architecture built for real (tfjs, wasm backend): shapes, parameter counts
// against known figures, and which layers end up as kervolutions.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../../src-main/engine/backend/select-backend';
import { buildModel, describeConfig, describeModel } from '../../../../src-main/engine/models/build-model';
import { ARCHITECTURES, modelConfigSchema, type ArchitectureName, type ModelConfig } from '../../../../src-main/shared/run-config';

const POLY = { type: 'polynomial', c: 1, d: 3 } as const;
const SHAPES = [
  { inputShape: [28, 28, 1] as [number, number, number], numClasses: 10 },
  { inputShape: [32, 32, 3] as [number, number, number], numClasses: 10 },
];

function config(arch: ArchitectureName, extra: Partial<Record<keyof ModelConfig, unknown>> = {}): ModelConfig {
  // Residual networks at a quarter width: the same layers, a sixteenth of the work.
  const widthMultiplier = arch === 'resnet18' || arch === 'resnet34' ? 0.25 : 1;
  return modelConfigSchema.parse({ arch, widthMultiplier, ...extra });
}

beforeAll(async () => {
  await initBackend('wasm');
});

describe('buildModel', () => {
  for (const arch of ARCHITECTURES) {
    for (const data of SHAPES) {
      for (const kernel of [{ type: 'linear' } as const, POLY]) {
        it(`${arch} on ${data.inputShape.join('×')} with a ${kernel.type} kernel gives finite logits [batch, classes]`, () => {
          const model = buildModel(config(arch, { kernel }), data);
          try {
            const x = tf.randomNormal([3, ...data.inputShape], 0, 1, 'float32', 7);
            const y = model.predict(x) as tf.Tensor;
            expect(y.shape).toEqual([3, 10]);
            const values = y.dataSync();
            expect(Array.from(values).every(Number.isFinite)).toBe(true);
            // Logits, not probabilities: rows do not sum to 1 and values go negative.
            expect(Math.min(...values)).toBeLessThan(0);
            const kervs = model.layers.filter((l) => l.getClassName() === 'KervConv2D').length;
            const convs = model.layers.filter((l) => l.getClassName() === 'Conv2D').length;
            if (kernel.type === 'linear' || arch === 'mlp') expect(kervs).toBe(0);
            else expect(kervs).toBeGreaterThan(0);
            expect(convs + kervs > 0).toBe(arch !== 'mlp');
            tf.dispose([x, y]);
          } finally {
            model.dispose();
          }
        });
      }
    }
  }

  it('puts KervConv2D exactly where kervLayers points, the projection shortcuts staying Conv2D', () => {
    const model = buildModel(config('resnet18', { kernel: POLY, kervLayers: [0, 5, 16] }), SHAPES[1]);
    const byType = (type: string) => model.layers.filter((l) => l.getClassName() === type).map((l) => l.name);
    expect(byType('KervConv2D')).toEqual(['stem_conv', 's2b1_conv1', 's4b2_conv2']);
    expect(byType('Conv2D')).toContain('s2b1_proj');
    expect(byType('Conv2D')).toHaveLength(17 + 3 - 3);
    model.dispose();
  });

  it('scales channels with the width multiplier, never below 4', () => {
    const quarter = describeConfig(config('lenet5', { widthMultiplier: 0.25 }), SHAPES[0]);
    const shapeOf = (name: string) => quarter.layers.find((l) => l.name === name)!.outputShape;
    expect(shapeOf('conv1')).toEqual([null, 28, 28, 4]); // 6 × 0.25 = 1.5 → floor of 4
    expect(shapeOf('conv2')).toEqual([null, 10, 10, 4]);
    expect(shapeOf('fc1')).toEqual([null, 30]);
    expect(shapeOf('logits')).toEqual([null, 10]); // the class count is never scaled
    const double = describeConfig(config('convnet', { widthMultiplier: 2 }), SHAPES[1]);
    expect(double.layers.find((l) => l.name === 'block3_conv')!.outputShape).toEqual([null, 4, 4, 256]);
  });

  it('names the architecture and the layer when the input is too small for it', () => {
    expect(() => buildModel(config('lenet5'), { inputShape: [8, 8, 1], numClasses: 10 })).toThrow(/lenet5: .*8×8×1.*conv2/);
  });

  it('rejects a bad input shape or class count naming the field', () => {
    expect(() => buildModel(config('convnet'), { inputShape: [28, 28] as never, numClasses: 10 })).toThrow(/inputShape must be \[height, width, channels\]/);
    expect(() => buildModel(config('convnet'), { inputShape: [28, 28, 1], numClasses: 1 })).toThrow(/numClasses must be an integer ≥ 2, got 1/);
  });
});

describe('describeConfig / describeModel', () => {
  it('counts ResNet-18 (CIFAR variant, 10 classes) at 11,173,962 trainable parameters, as torchvision-style references do', () => {
    const d = describeConfig(modelConfigSchema.parse({ arch: 'resnet18' }), SHAPES[1]);
    expect(d.trainableParams).toBe(11_173_962);
    // + BN moving mean and variance: 2 × (64 + 4·64 + 4·128 + 4·256 + 4·512 + 128 + 256 + 512) non-trainable
    expect(d.totalParams - d.trainableParams).toBe(2 * 4800);
  });

  it('counts ResNet-34 (CIFAR variant) at 21,282,122 trainable parameters', () => {
    expect(describeConfig(modelConfigSchema.parse({ arch: 'resnet34' }), SHAPES[1]).trainableParams).toBe(21_282_122);
  });

  it('counts LeNet-5 as a hand count does', () => {
    // 28×28×1, conv1 'same': 6·(5·5·1+1) + 16·(5·5·6+1) + (5·5·16)·120+120 + 120·84+84 + 84·10+10
    const mnist = 6 * 26 + 16 * 151 + 400 * 120 + 120 + 120 * 84 + 84 + 84 * 10 + 10;
    expect(mnist).toBe(61_706);
    expect(describeConfig(config('lenet5'), SHAPES[0]).totalParams).toBe(mnist);
    // 32×32×3, conv1 'valid' (the original): only conv1 changes, 6·(5·5·3+1)
    expect(describeConfig(config('lenet5'), SHAPES[1]).totalParams).toBe(mnist - 6 * 26 + 6 * 76);
  });

  it('lists every layer with its type, output shape, parameters and kernel', () => {
    const d = describeConfig(config('convbn', { kernel: { type: 'polynomial', c: 2, d: 2, learnable: true }, kervLayers: 'stem' }), SHAPES[0]);
    expect(d.layers.map((l) => l.type)).toEqual([
      'InputLayer',
      'KervConv2D', 'BatchNormalization', 'Activation',
      'Conv2D', 'BatchNormalization', 'Activation',
      'Conv2D', 'BatchNormalization', 'Activation',
      'GlobalMaxPooling2D', 'Dense',
    ]);
    const stem = d.layers[1];
    expect(stem).toEqual({ name: 'block1_conv', type: 'KervConv2D', outputShape: [null, 14, 14, 32], params: 3 * 3 * 32 + 32, kernel: 'polynomial(c=2, d=2, c learned per channel)' });
    expect(d.layers[4].kernel).toBeNull();
    expect(d.totalParams).toBe(d.layers.reduce((s, l) => s + l.params, 0));
  });

  it('says the kernel does not apply to the mlp', () => {
    const d = describeConfig(config('mlp', { kernel: POLY }), SHAPES[0]);
    expect(d.notes!.join(' ')).toMatch(/no convolutions/);
    expect(d.layers.every((l) => l.kernel === null)).toBe(true);
    expect(d.totalParams).toBe(784 * 512 + 512 + 512 * 256 + 256 + 256 * 10 + 10);
  });

  it('says projection shortcuts stay linear when a residual network is kernelized', () => {
    expect(describeConfig(config('resnet-small', { kernel: POLY }), SHAPES[0]).notes!.join(' ')).toMatch(/2 1×1 projection shortcuts stay linear/);
  });

  it('leaves no tensors behind', () => {
    const before = tf.memory().numTensors;
    describeConfig(config('resnet18', { kernel: POLY }), SHAPES[1]);
    expect(() => describeConfig(config('lenet5'), { inputShape: [8, 8, 1], numClasses: 10 })).toThrow();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('describes a built model the same way as a config', () => {
    const model = buildModel(config('resnet-small', { kernel: POLY }), SHAPES[1]);
    const fromModel = describeModel(model);
    const fromConfig = describeConfig(config('resnet-small', { kernel: POLY }), SHAPES[1]);
    expect(fromModel.layers).toEqual(fromConfig.layers);
    expect(fromModel.totalParams).toBe(model.countParams());
    model.dispose();
  });
});

describe('kervNorm / kervActivation from `kerv train --kerv-norm batch --kerv-activation none`', () => {
  it('builds LeNet-5 with a batch norm after each Gaussian kervolution and no tanh after it, and finite logits', async () => {
    const { buildRunConfig } = await import('../../../../src-main/cli/train-flags');
    const run = buildRunConfig({}, { arch: 'lenet5', kernel: 'gaussian', 'kerv-norm': 'batch', 'kerv-activation': 'none' }, {});
    expect(run.model).toMatchObject({ kervNorm: 'batch', kervActivation: 'none' });
    const model = buildModel(run.model, SHAPES[0]);
    try {
      expect(model.layers.slice(1, 5).map((l) => [l.name, l.getClassName()])).toEqual([
        ['conv1', 'KervConv2D'],
        ['conv1_bn', 'BatchNormalization'],
        ['pool1', 'MaxPooling2D'],
        ['conv2', 'KervConv2D'],
      ]);
      const logits = model.predict(tf.randomNormal([2, 28, 28, 1])) as tf.Tensor;
      expect(Array.from(logits.dataSync()).every(Number.isFinite)).toBe(true);
      logits.dispose();
    } finally {
      model.dispose();
    }
    expect(() => buildRunConfig({}, { 'kerv-norm': 'layer' }, {})).toThrow('model.kervNorm: must be one of "none", "batch"');
  });
});
