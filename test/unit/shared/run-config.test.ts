import { describe, expect, it } from 'vitest';
import { ConfigError, canonicalJson, defaultRunConfig, parseRunConfig } from '../../../src-main/shared/run-config';

function issuesOf(input: unknown): { path: string; message: string }[] {
  try {
    parseRunConfig(input);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).issues;
  }
  throw new Error('expected the config to be rejected');
}

describe('run config schema', () => {
  it('fills every default', () => {
    const config = defaultRunConfig();
    expect(config.model.kernel).toEqual({ type: 'linear' });
    expect(config.dataset.name).toBe('fashion-mnist');
    expect(config.epochs).toBeGreaterThan(0);
    expect(parseRunConfig({ model: { kernel: { type: 'polynomial' } } }).model.kernel).toEqual({
      type: 'polynomial',
      c: 1,
      d: 3,
      learnable: false,
    });
  });

  it('names the field and the allowed values for a bad enum', () => {
    const [issue] = issuesOf({ model: { arch: 'vgg' } });
    expect(issue.path).toBe('model.arch');
    expect(issue.message).toContain('"lenet5"');
    expect(issue.message).toContain('"resnet18"');
  });

  it('names the kernel types for an unknown kernel', () => {
    const [issue] = issuesOf({ model: { kernel: { type: 'laplace' } } });
    expect(issue.path).toMatch(/^model\.kernel/);
    expect(issue.message).toContain('polynomial');
    expect(issue.message).toContain('gaussian');
  });

  it('names the range for an out-of-range number and rejects unknown fields', () => {
    expect(issuesOf({ model: { kernel: { type: 'polynomial', d: 0 } } })[0].path).toBe('model.kernel.d');
    expect(issuesOf({ model: { kernel: { type: 'gaussian', gamma: -1 } } })[0].path).toBe('model.kernel.gamma');
    const unknown = issuesOf({ optimiser: {} })[0];
    expect(unknown.message).toContain('optimiser');
    const batch = issuesOf({ batchSize: 0 })[0];
    expect(batch.path).toBe('batchSize');
    expect(batch.message).toMatch(/>=\s*1|at least 1|too small/i);
  });

  it('hashes equal configs equally regardless of key order', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, 2], c: null } })).toBe(canonicalJson({ a: { c: null, d: [1, 2] }, b: 1 }));
  });
});

describe('model.kervNorm and model.kervActivation', () => {
  it('default to none and arch (configs written before them stay valid), and name the allowed values', () => {
    expect(parseRunConfig({ model: { arch: 'lenet5' } }).model).toMatchObject({ kervNorm: 'none', kervActivation: 'arch' });
    expect(() => parseRunConfig({ model: { kervNorm: 'layer' } })).toThrow('model.kervNorm: must be one of "none", "batch"');
    expect(() => parseRunConfig({ model: { kervActivation: 'sigmoid' } })).toThrow('model.kervActivation: must be one of "arch", "none", "tanh", "relu"');
  });
});
