// kervLayers → which convolutions become kervolutions, checked on the architecture
// descriptions (no tensors): indices follow depth order, projections never count.
import { describe, expect, it } from 'vitest';
import { ARCHITECTURE_BUILDERS } from '../../../../src-main/engine/models/architectures/index';
import { countConvolutions, indexedConvolutions, kernelize, selectConvolutions } from '../../../../src-main/engine/models/kernelize';
import type { ArchitectureSpec, ConvNode } from '../../../../src-main/engine/models/spec';
import { walkNodes } from '../../../../src-main/engine/models/spec';
import { ConfigError, type KernelSpec } from '../../../../src-main/shared/run-config';

const poly: KernelSpec = { type: 'polynomial', c: 1, d: 3, learnable: false };
const build = (arch: keyof typeof ARCHITECTURE_BUILDERS): ArchitectureSpec =>
  ARCHITECTURE_BUILDERS[arch]({ inputShape: [32, 32, 3], numClasses: 10, widthMultiplier: 1 });

function allConvs(spec: ArchitectureSpec): ConvNode[] {
  const convs: ConvNode[] = [];
  walkNodes(spec.layers, (node) => {
    if (node.op === 'conv') convs.push(node);
  });
  return convs;
}

/** Names of the convolutions that carry a kernel after kernelize. */
function kervNames(spec: ArchitectureSpec): string[] {
  return allConvs(spec)
    .filter((c) => c.kernel !== null)
    .map((c) => c.name);
}

describe('countConvolutions', () => {
  it.each([
    ['mlp', 0],
    ['convnet', 3],
    ['convbn', 3],
    ['resnet-small', 7],
    ['cifar-cnn', 4],
    ['lenet5', 2],
    ['resnet18', 17],
    ['resnet34', 33],
  ] as const)('%s has %i kernelizable convolutions', (arch, count) => {
    expect(countConvolutions(arch)).toBe(count);
  });

  it('does not count the 1×1 projection shortcuts of residual networks', () => {
    const projections = allConvs(build('resnet18')).filter((c) => c.role === 'projection');
    expect(projections.map((c) => [c.name, c.kernelSize])).toEqual([
      ['s2b1_proj', 1],
      ['s3b1_proj', 1],
      ['s4b1_proj', 1],
    ]);
    expect(countConvolutions('resnet18') + projections.length).toBe(allConvs(build('resnet18')).length);
  });
});

describe.each(['convnet', 'convbn', 'resnet-small', 'cifar-cnn', 'lenet5', 'resnet18', 'resnet34'] as const)('kernelize on %s', (arch) => {
  const spec = build(arch);
  const count = countConvolutions(arch);

  it("'all' and N = the count select every indexed convolution; the count + 1 is refused", () => {
    expect(kervNames(kernelize(spec, { kernel: poly, layers: 'all' }))).toHaveLength(count);
    expect(kervNames(kernelize(spec, { kernel: poly, layers: count }))).toHaveLength(count);
    expect(() => kernelize(spec, { kernel: poly, layers: count + 1 })).toThrow(`${arch} has ${count} convolutions (indices 0-${count - 1}); the first ${count + 1} is out of range`);
  });

  it('the last index selects the deepest indexed convolution', () => {
    const last = indexedConvolutions(spec).at(-1)!;
    expect(kervNames(kernelize(spec, { kernel: poly, layers: [count - 1] }))).toEqual([last.name]);
  });
});

describe('kernelize', () => {
  const spec = build('resnet18');

  it('numbers convolutions in depth order with the stem first', () => {
    const names = indexedConvolutions(spec).map((c) => c.name);
    expect(names.slice(0, 6)).toEqual(['stem_conv', 's1b1_conv1', 's1b1_conv2', 's1b2_conv1', 's1b2_conv2', 's2b1_conv1']);
    expect(names[16]).toBe('s4b2_conv2');
  });

  it("'all' kernelizes every 3×3 convolution and no projection", () => {
    const out = kernelize(spec, { kernel: poly, layers: 'all' });
    expect(kervNames(out)).toEqual(indexedConvolutions(spec).map((c) => c.name));
    expect(allConvs(out).filter((c) => c.role === 'projection' && c.kernel !== null)).toEqual([]);
    expect(indexedConvolutions(out).every((c) => c.kernel === poly)).toBe(true);
  });

  it("'stem' kernelizes only the first convolution", () => {
    expect(kervNames(kernelize(spec, { kernel: poly, layers: 'stem' }))).toEqual(['stem_conv']);
    expect(kervNames(kernelize(build('lenet5'), { kernel: poly, layers: 'stem' }))).toEqual(['conv1']);
  });

  it('a number N kernelizes the first N convolutions', () => {
    expect(kervNames(kernelize(spec, { kernel: poly, layers: 3 }))).toEqual(['stem_conv', 's1b1_conv1', 's1b1_conv2']);
    expect(kervNames(kernelize(spec, { kernel: poly, layers: 17 }))).toHaveLength(17);
  });

  it('an index list kernelizes exactly those convolutions, in any order, duplicates ignored', () => {
    const out = kernelize(spec, { kernel: poly, layers: [16, 5, 0, 5] });
    expect(kervNames(out)).toEqual(['stem_conv', 's2b1_conv1', 's4b2_conv2']);
    expect(selectConvolutions(spec, [16, 5, 0, 5])).toEqual([0, 5, 16]);
  });

  it('leaves the input description untouched', () => {
    const before = JSON.stringify(spec);
    kernelize(spec, { kernel: poly, layers: 'all' });
    expect(JSON.stringify(spec)).toBe(before);
  });

  it('a linear kernel leaves ordinary convolutions but still checks the selection', () => {
    expect(kervNames(kernelize(spec, { kernel: { type: 'linear' }, layers: 'all' }))).toEqual([]);
    expect(() => kernelize(spec, { kernel: { type: 'linear' }, layers: [17] })).toThrow(/index 17/);
  });

  it('rejects an index beyond the convolution count, naming the architecture, the index and the count', () => {
    const attempt = () => kernelize(spec, { kernel: poly, layers: [3, 17] });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow('resnet18 has 17 convolutions (indices 0-16); index 17 is out of range');
    try {
      attempt();
    } catch (error) {
      expect((error as ConfigError).issues[0].path).toBe('model.kervLayers');
    }
  });

  it('rejects N larger than the convolution count', () => {
    expect(() => kernelize(build('lenet5'), { kernel: poly, layers: 3 })).toThrow('lenet5 has 2 convolutions (indices 0-1); the first 3 is out of range');
  });

  it("rejects 'stem' and indices on the mlp, which has no convolutions, but accepts 'all'", () => {
    const mlp = build('mlp');
    expect(() => kernelize(mlp, { kernel: poly, layers: 'stem' })).toThrow("mlp has no convolutions; 'stem' (index 0) is out of range");
    expect(() => kernelize(mlp, { kernel: poly, layers: [0] })).toThrow('mlp has no convolutions');
    expect(kervNames(kernelize(mlp, { kernel: poly, layers: 'all' }))).toEqual([]);
  });
});

describe('kervNorm and kervActivation: what follows each selected convolution', () => {
  const gauss: KernelSpec = { type: 'gaussian', gamma: 'auto', learnable: false };
  /** The top-level node sequence as "op:name" (LeNet-5 has no residual blocks). */
  const sequence = (spec: ArchitectureSpec) => spec.layers.map((n) => (n.op === 'activation' ? `activation:${n.fn}:${n.name}` : `${n.op}:${n.name}`));

  it('LeNet-5 as the architecture has it by default', () => {
    expect(sequence(kernelize(build('lenet5'), { kernel: gauss, layers: 'all' })).slice(0, 6)).toEqual([
      'conv:conv1', 'activation:tanh:tanh1', 'maxPool:pool1', 'conv:conv2', 'activation:tanh:tanh2', 'maxPool:pool2',
    ]);
  });

  it('batch: a batch norm between each kervolution and its tanh; with a linear kernel too (the control)', () => {
    for (const kernel of [gauss, { type: 'linear' } as KernelSpec]) {
      expect(sequence(kernelize(build('lenet5'), { kernel, layers: 'all', norm: 'batch' })).slice(0, 8)).toEqual([
        'conv:conv1', 'batchNorm:conv1_bn', 'activation:tanh:tanh1', 'maxPool:pool1', 'conv:conv2', 'batchNorm:conv2_bn', 'activation:tanh:tanh2', 'maxPool:pool2',
      ]);
    }
  });

  it('activation none / relu replaces only the selected convolutions’ activation, after their batch norm', () => {
    expect(sequence(kernelize(build('lenet5'), { kernel: gauss, layers: 'stem', activation: 'none' })).slice(0, 5)).toEqual([
      'conv:conv1', 'maxPool:pool1', 'conv:conv2', 'activation:tanh:tanh2', 'maxPool:pool2',
    ]);
    expect(sequence(kernelize(build('lenet5'), { kernel: gauss, layers: 'all', norm: 'batch', activation: 'relu' })).slice(0, 4)).toEqual([
      'conv:conv1', 'batchNorm:conv1_bn', 'activation:relu:conv1_relu', 'maxPool:pool1',
    ]);
  });

  it('leaves ResNet-18, which normalises every convolution already, with the same batch norms', () => {
    const count = (spec: ArchitectureSpec) => {
      let n = 0;
      walkNodes(spec.layers, (node) => (n += node.op === 'batchNorm' ? 1 : 0));
      return n;
    };
    expect(count(kernelize(build('resnet18'), { kernel: gauss, layers: 'all', norm: 'batch' }))).toBe(count(build('resnet18')));
  });
});
