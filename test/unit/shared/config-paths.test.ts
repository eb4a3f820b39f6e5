import { describe, expect, it } from 'vitest';
import { diffConfigs, flattenConfig, getPath, parseScalar, setPath } from '../../../src-main/shared/config-paths';
import { parseRunConfig } from '../../../src-main/shared/run-config';

describe('config paths', () => {
  it('reads and writes dotted paths without touching the original', () => {
    const config = parseRunConfig({ model: { kernel: { type: 'polynomial', d: 2 } } });
    expect(getPath(config, 'model.kernel.d')).toBe(2);
    expect(getPath(config, 'model.nope.x')).toBeUndefined();
    const before = config.optimizer.lr;
    const changed = setPath(config, 'optimizer.lr', 0.5);
    expect(changed.optimizer.lr).toBe(0.5);
    expect(before).not.toBe(0.5);
    expect(config.optimizer.lr).toBe(before);
  });

  it('switching a kernel type drops the old kind’s parameters, keeping them when the type stays', () => {
    const poly = parseRunConfig({ model: { kernel: { type: 'polynomial', d: 2 } } });
    expect(setPath(poly, 'model.kernel.type', 'gaussian').model.kernel).toEqual({ type: 'gaussian' });
    expect(setPath(poly, 'model.kernel.type', 'polynomial').model.kernel).toEqual(poly.model.kernel);
  });

  it('switching the optimizer keeps its learning rate; undefined removes a field', () => {
    const adam = parseRunConfig({ optimizer: { type: 'adam', lr: 0.01 } });
    expect(setPath(adam, 'optimizer.type', 'sgd').optimizer).toEqual({ ...adam.optimizer, type: 'sgd' });
    const named = setPath(adam, 'name', 'first');
    expect(named.name).toBe('first');
    expect('name' in setPath(named, 'name', undefined)).toBe(false);
  });

  it('copies only the objects along the path, so it works on reactive proxies (the form’s state)', () => {
    const config = parseRunConfig({});
    const reactive = new Proxy(config, {}); // structuredClone refuses proxies (DataCloneError)
    const changed = setPath(reactive, 'model.kernel.type', 'gaussian');
    expect(changed.model.kernel).toEqual({ type: 'gaussian' });
    expect(changed.optimizer).toBe(config.optimizer);
    expect(config.model.kernel).toEqual({ type: 'linear' });
  });

  it('flattens to leaves, arrays included as one value', () => {
    const flat = flattenConfig(parseRunConfig({ schedule: { milestones: [5, 8] } }));
    expect(flat['schedule.milestones']).toEqual([5, 8]);
    expect(flat['model.kernel.type']).toBe('linear');
    expect(Object.keys(flat).every((k) => typeof flat[k] !== 'object' || Array.isArray(flat[k]) || flat[k] === null)).toBe(true);
  });

  it('diffs N configs: only the differing fields, a missing field counts as different', () => {
    const a = parseRunConfig({ seed: 1, model: { kernel: { type: 'linear' } } });
    const b = parseRunConfig({ seed: 2, model: { kernel: { type: 'polynomial' } } });
    const c = parseRunConfig({ seed: 1, model: { kernel: { type: 'linear' } }, schedule: { milestones: [3] } });
    const diff = diffConfigs([a, b, c]);
    expect(diff.map((d) => d.path)).toEqual([
      'model.kernel.c',
      'model.kernel.d',
      'model.kernel.learnable',
      'model.kernel.type',
      'schedule.milestones',
      'seed',
    ]);
    expect(diff.find((d) => d.path === 'model.kernel.d')!.values).toEqual([null, 3, null]);
    expect(diff.find((d) => d.path === 'seed')!.values).toEqual([1, 2, 1]);
    expect(diffConfigs([a, parseRunConfig({ seed: 1 })])).toEqual([]);
  });

  it('parses typed-in values', () => {
    expect([parseScalar('0.1'), parseScalar('1e-3'), parseScalar('true'), parseScalar('null'), parseScalar('gaussian'), parseScalar('[1,2]')]).toEqual([
      0.1,
      0.001,
      true,
      null,
      'gaussian',
      [1, 2],
    ]);
  });
});
