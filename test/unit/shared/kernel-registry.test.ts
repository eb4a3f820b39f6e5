// The kernel registry is the one place a kernel is declared: every kernel it
// lists must reach the run-config schema, the engine, the New Run form, the CLI
// flags and help, the labels and the export columns without any other edit.
// Written over the registry, so a kernel added later is checked by this file too.
import { describe, expect, it } from 'vitest';
import { KERNELS, KERNEL_TYPES, defaultKernelSpec, kernelLabel, kernelParamFields } from '../../../src-main/shared/kernels/index';
import { parseRunConfig } from '../../../src-main/shared/run-config';
import { kernelImplementation } from '../../../src-main/engine/kernels/registry';
import { buildRunConfig, kernelFlagsHelp } from '../../../src-main/cli/train-flags';
import { ALL_FIELDS, fromInputText } from '../../../src-renderer/src/lib/config-fields';
import { configPaths } from '../../../src-main/service/export-table';

const visibleKernelFields = (type: string) =>
  ALL_FIELDS.filter((f) => f.path.startsWith('model.kernel.') && (!f.when || f.when({ model: { kernel: defaultKernelSpec(type as never) } }))).map((f) => f.path);

describe('kernel registry', () => {
  it('has one declaration per type and an implementation for each', () => {
    expect(new Set(KERNEL_TYPES).size).toBe(KERNELS.length);
    for (const type of KERNEL_TYPES) {
      const implementation = kernelImplementation(type);
      expect(Object.keys(implementation.reparametrisation).sort(), type).toEqual([...KERNELS.find((k) => k.type === type)!.learnableParams].sort());
    }
    expect(() => kernelImplementation('rbf')).toThrow(/kernel\.type must be one of linear, polynomial/);
  });

  for (const kernel of KERNELS) {
    const params = Object.keys(kernel.params);
    const learnable = kernel.learnableParams.length > 0;
    describe(kernel.type, () => {
      it('defaults every parameter in the run config, inside its declared range', () => {
        const spec = parseRunConfig({ model: { kernel: { type: kernel.type } } }).model.kernel as Record<string, unknown>;
        expect(Object.keys(spec).sort()).toEqual(['type', ...params, ...(learnable ? ['learnable'] : [])].sort());
        for (const [name, p] of Object.entries(kernel.params as Record<string, { default: number | 'auto'; min?: { value: number } }>)) {
          expect(spec[name]).toBe(p.default);
          if (p.min) expect(() => parseRunConfig({ model: { kernel: { type: kernel.type, [name]: p.min!.value - 1 } } })).toThrow(new RegExp(`model\\.kernel\\.${name}`));
        }
      });

      it('shows exactly its own parameters in the New Run form', () => {
        expect(visibleKernelFields(kernel.type)).toEqual([
          'model.kernel.type',
          ...kernelParamFields().filter((f) => params.includes(f.name)).map((f) => f.path),
          ...(learnable ? ['model.kernel.learnable'] : []),
        ]);
      });

      it('is offered by `kerv train` flags, which set its parameters', () => {
        const help = kernelFlagsHelp();
        expect(help).toContain(kernel.type);
        const flags: Record<string, string | boolean> = { kernel: kernel.type };
        for (const field of kernelParamFields().filter((f) => params.includes(f.name))) {
          expect(help).toContain(`--${field.flag}`);
          const p = field.kernels.find((k) => k.type === kernel.type)!.param;
          flags[field.flag] = String((p.default === 'auto' ? 1 : p.default) + (p.kind === 'integer' ? 1 : 0.5));
        }
        if (learnable) flags['kernel-learnable'] = 'scalar';
        const spec = buildRunConfig({}, flags, {}).model.kernel as Record<string, unknown>;
        expect(spec.type).toBe(kernel.type);
        for (const field of kernelParamFields().filter((f) => params.includes(f.name))) expect(spec[field.name]).toBe(Number(flags[field.flag]));
        if (learnable) expect(spec.learnable).toBe('scalar');
      });

      it('is labelled with its parameters and exported with a column per parameter', () => {
        const spec = defaultKernelSpec(kernel.type) as Record<string, unknown>;
        const label = kernelLabel(spec);
        expect(label.startsWith(kernel.type)).toBe(true);
        for (const [name, p] of Object.entries(kernel.params as Record<string, { symbol: string }>)) {
          expect(label).toContain(`${p.symbol}=${spec[name]}`);
          expect(configPaths()).toContain(`model.kernel.${name}`);
        }
      });
    });
  }
});

describe("kernel parameters that take 'auto'", () => {
  const issueOf = (kernel: unknown) => {
    try {
      parseRunConfig({ model: { kernel } });
    } catch (error) {
      return (error as Error).message;
    }
    throw new Error('expected the config to be rejected');
  };

  it('are the gaussian and laplacian γ, auto by default; a number keeps working, as do configs written before', () => {
    for (const type of ['gaussian', 'laplacian']) {
      expect(parseRunConfig({ model: { kernel: { type } } }).model.kernel).toEqual({ type, gamma: 'auto', learnable: false });
      expect(parseRunConfig({ model: { kernel: { type, gamma: 0.5, learnable: true } } }).model.kernel).toEqual({ type, gamma: 0.5, learnable: 'channel' });
      expect(parseRunConfig({ model: { kernel: { type, gamma: 'auto', learnable: 'scalar' } } }).model.kernel).toEqual({ type, gamma: 'auto', learnable: 'scalar' });
    }
    expect(kernelLabel({ type: 'gaussian', gamma: 'auto', learnable: false })).toBe('gaussian(γ=auto)');
    expect(kernelLabel({ type: 'gaussian', gamma: 'auto', learnable: 'channel' })).toBe('gaussian(γ=auto, γ learned per channel)');
  });

  it('reject anything else naming the field and what it takes; a parameter without auto still wants a number', () => {
    for (const bad of ['sometimes', -1, 0, null, 'AUTO']) {
      expect(issueOf({ type: 'gaussian', gamma: bad })).toBe('Invalid run config: model.kernel.gamma: must be "auto" or a number > 0');
    }
    expect(issueOf({ type: 'laplacian', gamma: 'median' })).toBe('Invalid run config: model.kernel.gamma: must be "auto" or a number > 0');
    expect(issueOf({ type: 'polynomial', c: 'auto' })).toMatch(/^Invalid run config: model\.kernel\.c: .*number/);
  });

  it('come from `kerv train --kernel-gamma auto|F`, with help saying what auto means, and errors naming the field', () => {
    const help = kernelFlagsHelp();
    expect(help).toMatch(/--kernel-gamma auto\|F/);
    expect(help).toContain('auto = 1 / median ‖p − w‖² over data patches');
    expect(help).toContain('gaussian: auto or a number > 0, default auto');
    expect(buildRunConfig({}, { kernel: 'gaussian', 'kernel-gamma': 'auto' }, {}).model.kernel).toMatchObject({ gamma: 'auto' });
    expect(buildRunConfig({}, { kernel: 'laplacian', 'kernel-gamma': '0.25' }, {}).model.kernel).toMatchObject({ gamma: 0.25 });
    expect(buildRunConfig({ model: { kernel: { type: 'gaussian', gamma: 2 } } }, { 'kernel-gamma': ' auto ' }, {}).model.kernel).toMatchObject({ gamma: 'auto' });
    expect(() => buildRunConfig({}, { kernel: 'gaussian', 'kernel-gamma': 'wide' }, {})).toThrow('model.kernel.gamma: must be "auto" or a number > 0');
  });

  it('are a text field in the New Run form that takes auto or a number', () => {
    const field = ALL_FIELDS.find((f) => f.path === 'model.kernel.gamma')!;
    expect(field.kind).toBe('auto-number');
    expect([fromInputText(field.kind, 'auto'), fromInputText(field.kind, ''), fromInputText(field.kind, ' 0.05 '), fromInputText(field.kind, 'wide')]).toEqual(['auto', 'auto', 0.05, 'wide']);
    expect(ALL_FIELDS.find((f) => f.path === 'model.kernel.c')!.kind).toBe('number');
  });
});
