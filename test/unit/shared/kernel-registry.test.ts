// The kernel registry is the one place a kernel is declared: every kernel it
// lists must reach the run-config schema, the engine, the New Run form, the CLI
// flags and help, the labels and the export columns without any other edit.
// Written over the registry, so a kernel added later is checked by this file too.
import { describe, expect, it } from 'vitest';
import { KERNELS, KERNEL_TYPES, defaultKernelSpec, kernelLabel, kernelParamFields } from '../../../src-main/shared/kernels/index';
import { parseRunConfig } from '../../../src-main/shared/run-config';
import { kernelImplementation } from '../../../src-main/engine/kernels/registry';
import { buildRunConfig, kernelFlagsHelp } from '../../../src-main/cli/train-flags';
import { ALL_FIELDS } from '../../../src-renderer/src/lib/config-fields';
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
        for (const [name, p] of Object.entries(kernel.params as Record<string, { default: number; min?: { value: number } }>)) {
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
          flags[field.flag] = String(p.default + (p.kind === 'integer' ? 1 : 0.5));
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
