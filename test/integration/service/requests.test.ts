// The API requests that need no training: settings, config, model preview,
// datasets, sweeps (queued only), groups, exports and validation errors.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { API_CHANNELS } from '../../../src-main/shared/api';
import { getPath } from '../../../src-main/shared/config-paths';
import { defaultKernelSpec } from '../../../src-main/shared/kernels/index';
import { KERNEL_TYPES, parseRunConfig } from '../../../src-main/shared/run-config';
import { SWEEPABLE_FIELDS } from '../../../src-renderer/src/lib/config-fields';
import { openTestBench, tinyConfig, type TestBench } from './helpers';

let bench: TestBench | undefined;
afterEach(async () => {
  await bench?.dispose();
  bench = undefined;
});

describe('workbench requests', () => {
  it('answers every channel of the contract: an unexpected argument is refused naming the channel, never a crash', async () => {
    bench = await openTestBench({ startQueue: false });
    for (const channel of API_CHANNELS) {
      const refusal = await bench.wb.invoke(channel, { unexpected: true } as never).then(
        () => null,
        (error: Error) => error,
      );
      // Channels that take no argument ignore it; the others refuse it as invalid input, not with a TypeError.
      if (refusal) {
        expect([channel, refusal.message]).toEqual([channel, expect.stringMatching(new RegExp(`^Invalid (argument for '${channel}'|run config): `))]);
      }
    }
  });

  it('settings persist across reopen; the data folder cannot change while open', async () => {
    bench = await openTestBench({ startQueue: false });
    const gpuDefaults = { gpuSlots: 'auto', webgpuSpeedToggles: false, webgpuSubmitBatch: 64 };
    expect(await bench.wb.invoke('settings:get', undefined)).toEqual({ dataDir: bench.dir, backend: 'auto', concurrency: 1, redisUrl: null, webgpuAdapter: '', webgpuBackend: '', ...gpuDefaults });
    const gpu = { gpuSlots: 4, webgpuSpeedToggles: true, webgpuSubmitBatch: 256 };
    await bench.wb.invoke('settings:set', { backend: 'webgpu', concurrency: 3, redisUrl: 'redis://worker:s3cret@cluster-host:6380/2', webgpuAdapter: 'NVIDIA H100 80GB HBM3', webgpuBackend: 'vulkan', ...gpu });
    const wb = await bench.reopen({ redisUrl: null });
    // The password never travels back to the UI.
    expect(await wb.invoke('settings:get', undefined)).toEqual({
      dataDir: bench.dir, backend: 'webgpu', concurrency: 3, redisUrl: 'redis://worker:***@cluster-host:6380/2', webgpuAdapter: 'NVIDIA H100 80GB HBM3', webgpuBackend: 'vulkan', ...gpu,
    });
    await expect(wb.invoke('settings:set', { gpuSlots: 9 })).rejects.toThrow(/gpuSlots/);
    await expect(wb.invoke('settings:set', { webgpuSubmitBatch: 0 })).rejects.toThrow(/webgpuSubmitBatch/);
    await expect(wb.invoke('settings:set', { redisUrl: 'http://cluster-host' })).rejects.toThrow(/redisUrl.*Redis URL/s);
    // Issue 22: the field and what it may be, in words (not zod's 'Too small: expected number to be >=1').
    await expect(wb.invoke('settings:set', { concurrency: 0 })).rejects.toMatchObject({ issues: [{ path: 'concurrency', message: 'must be a whole number from 1 to 64' }] });
    await expect(wb.invoke('settings:set', { gpuSlots: 'many' as never })).rejects.toMatchObject({ issues: [{ path: 'gpuSlots', message: 'must be "auto" or a whole number from 1 to 8' }] });
    await expect(wb.invoke('settings:set', { backend: 'quantum' as never })).rejects.toMatchObject({ issues: [{ path: 'backend', message: expect.stringMatching(/^must be one of "auto", .*"cpu"$/) }] });
    await expect(wb.invoke('settings:set', { webgpuBackend: 'cuda' as string })).rejects.toThrow(/webgpuBackend/);
    await expect(wb.invoke('settings:set', { dataDir: '/elsewhere' })).rejects.toThrow(/data folder is chosen when the workbench starts/);
  });

  it('config defaults, presets that validate, and validation issues naming the field', async () => {
    bench = await openTestBench({ startQueue: false });
    const { config, presets } = await bench.wb.invoke('config:defaults', undefined);
    expect(config.model.arch).toBe('lenet5');
    for (const preset of presets) expect(await bench.wb.invoke('config:validate', preset.config)).toEqual({ ok: true, issues: [] });
    const bad = await bench.wb.invoke('config:validate', { optimizer: { lr: -1 }, epochs: 0 });
    expect(bad.ok).toBe(false);
    expect(bad.issues.map((i) => i.path).sort()).toEqual(['epochs', 'optimizer.lr']);
  });

  it("issue 22: a subset larger than the dataset's split is refused by every entry point, naming the field, the value and the split's size", async () => {
    bench = await openTestBench({ startQueue: false });
    const { wb } = bench;
    const train = "dataset.trainSubset: 999999999 is more than Fashion-MNIST's 54000 training images (60000, less the 6000 that dataset.validationFraction 0.1 holds out for validation)";
    const tooMany = tinyConfig({ dataset: { name: 'fashion-mnist', trainSubset: 999_999_999 } });
    await expect(wb.invoke('runs:start', { config: tooMany })).rejects.toThrow(train);
    expect(await wb.invoke('config:validate', tooMany)).toEqual({ ok: false, issues: [{ path: 'dataset.trainSubset', message: train.replace('dataset.trainSubset: ', '') }] });
    await expect(wb.invoke('sweeps:start', { base: tinyConfig(), grid: { 'dataset.trainSubset': [500, 999_999_999] } })).rejects.toThrow(train);
    await expect(wb.invoke('lrFind:start', { config: tooMany })).rejects.toThrow(train);
    await expect(wb.invoke('runs:start', { config: tinyConfig({ dataset: { name: 'cifar10', testSubset: 10_001 } }) })).rejects.toThrow(
      "dataset.testSubset: 10001 is more than CIFAR-10's 10000 test images",
    );
    await expect(wb.invoke('runs:start', { config: tinyConfig({ dataset: { name: 'mnist', trainSubset: 60_001, validationFraction: 0 } }) })).rejects.toThrow(
      "dataset.trainSubset: 60001 is more than MNIST's 60000 training images",
    );
    // The schema's own bound, before any dataset is known.
    await expect(wb.invoke('config:validate', { dataset: { trainSubset: 2 ** 31 } })).resolves.toEqual({ ok: false, issues: [{ path: 'dataset.trainSubset', message: 'must be at most 2147483647' }] });
    expect((await wb.invoke('runs:list', {})).total).toBe(0);
    // The whole split is allowed.
    for (const dataset of [{ name: 'fashion-mnist', trainSubset: 54_000, testSubset: 10_000 }, { name: 'cifar10', trainSubset: 50_000, validationFraction: 0 }] as const) {
      expect(await wb.invoke('config:validate', tinyConfig({ dataset }))).toEqual({ ok: true, issues: [] });
    }
  });

  it("issue 22: a run's stored config records the image size it really has (28 for Fashion-MNIST, whatever was sent); an image folder keeps its choice", async () => {
    bench = await openTestBench({ startQueue: false });
    const { wb } = bench;
    const stored = async (dataset: Record<string, unknown>) => {
      const { id } = await wb.invoke('runs:start', { config: tinyConfig({ dataset: dataset as never }) });
      return (await wb.invoke('runs:get', { id })).config.dataset.imageSize;
    };
    expect(await stored({ name: 'fashion-mnist' })).toBe(28);
    // A config written before the fix (or by hand) said 32 for 28×28 images.
    expect(await stored({ name: 'fashion-mnist', imageSize: 32 })).toBe(28);
    expect(await stored({ name: 'mnist' })).toBe(28);
    expect(await stored({ name: 'cifar10', imageSize: 64 })).toBe(32);
    const folder = join(bench.dir, 'pictures');
    expect(await stored({ name: 'image-folder', path: folder, imageSize: 48 })).toBe(48);
    expect(await stored({ name: 'image-folder', path: folder })).toBe(32);
    expect((await wb.invoke('config:defaults', undefined)).config.dataset.imageSize).toBe(28);
  });

  it('describes a model from a config (layers, kernel, parameter count)', async () => {
    bench = await openTestBench({ startQueue: false });
    const d = await bench.wb.invoke('models:describe', { model: { arch: 'lenet5', kernel: { type: 'polynomial' } } });
    expect(d.totalParams).toBeGreaterThan(10_000);
    expect(d.layers.some((l) => l.kernel !== null && /poly/i.test(l.kernel))).toBe(true);
    await expect(bench.wb.invoke('models:describe', { dataset: { name: 'image-folder', path: '/nope' } })).rejects.toThrow(/dataset\.path/);
  });

  it('previews an image folder with train/ and test/ with as many outputs as it has classes', async () => {
    bench = await openTestBench({ startQueue: false });
    const folder = join(bench.dir, 'pictures');
    for (const split of ['train', 'test']) for (const name of ['ant', 'bee', 'cat']) mkdirSync(join(folder, split, name), { recursive: true });
    const d = await bench.wb.invoke('models:describe', { dataset: { name: 'image-folder', path: folder, imageSize: 16 }, model: { arch: 'convnet' } });
    expect(d.layers.at(-1)!.outputShape).toEqual([null, 3]);
  });

  it('lists datasets and finds Fashion-MNIST in the system folder', async () => {
    bench = await openTestBench({ startQueue: false });
    const list = await bench.wb.invoke('datasets:list', undefined);
    expect(list.map((d) => d.name)).toEqual(['mnist', 'fashion-mnist', 'cifar10']);
    const fashion = list.find((d) => d.name === 'fashion-mnist')!;
    expect(fashion.present).toBe(true);
    expect(fashion.location).toMatch(/^\/usr\/share\/datasets/);
    await expect(bench.wb.invoke('datasets:download', { name: 'imagenet' })).rejects.toThrow(/Unknown dataset 'imagenet'/);
  });

  it('a sweep queues its runs as one group; the group exports and lists', async () => {
    bench = await openTestBench({ startQueue: false });
    const { wb } = bench;
    const { groupId, runIds } = await wb.invoke('sweeps:start', {
      base: tinyConfig({ model: { arch: 'convnet', widthMultiplier: 0.25 } }),
      grid: { 'model.kernel.type': ['linear', 'polynomial', 'gaussian'] },
      repeats: 3,
      name: 'kernel ablation',
    });
    expect(runIds).toHaveLength(9);
    expect((await wb.invoke('queue:get', undefined)).ids).toEqual(runIds);
    expect(await wb.invoke('groups:list', undefined)).toEqual([
      expect.objectContaining({ id: groupId, name: 'kernel ablation', kind: 'sweep', runCount: 9 }),
    ]);
    const listed = await wb.invoke('runs:list', { groupId, sortBy: 'id', sortDir: 'asc' });
    expect(listed.rows.map((r) => [r.kernel, r.seed])).toEqual(
      ['linear', 'polynomial', 'gaussian'].flatMap((k) => [0, 1, 2].map((s) => [k, s])),
    );
    const table = await wb.invoke('export:table', { groupIds: [groupId], groupBy: ['model.kernel.type'], columns: ['bestValidationAccuracy'], format: 'json' });
    const parsed = JSON.parse(table.text);
    expect(parsed.rows.map((r: { n: number }) => r.n)).toEqual([3, 3, 3]);
    expect(table).toMatchObject({ mime: 'application/json', extension: 'json' });
    await expect(wb.invoke('export:table', { groupIds: [99], format: 'csv' })).rejects.toMatchObject({ code: 'not_found', message: 'Group 99 not found.' });
    await expect(wb.invoke('sweeps:start', { base: {}, grid: { 'model.kernel.type': [] } })).rejects.toThrow(/grid/);
  });

  it("issue 22: every field the New Run form offers as a sweep axis is one the service sweeps (dataset.trainSubset was refused as 'not a run config field')", async () => {
    bench = await openTestBench({ startQueue: false });
    const defaults = (await bench.wb.invoke('config:defaults', undefined)).config;
    // The form's sweepable fields, optional ones (subsets, early stopping) included.
    for (const field of SWEEPABLE_FIELDS) {
      // A kernel parameter is swept on a kernel that has it, with that kernel's default.
      const kernel = KERNEL_TYPES.map((type) => defaultKernelSpec(type)).find((k) => getPath({ model: { kernel: k } }, field.path) !== undefined) ?? defaults.model.kernel;
      const base = tinyConfig({ model: { arch: 'lenet5', kernel } });
      const value = getPath(base, field.path) ?? getPath(parseRunConfig({ ...base, earlyStopping: {} }), field.path);
      expect([field.path, value]).not.toEqual([field.path, undefined]);
      const { runIds } = await bench.wb.invoke('sweeps:start', { base, grid: { [field.path]: [value] } });
      expect(runIds).toHaveLength(1);
    }
    const { runIds } = await bench.wb.invoke('sweeps:start', { base: tinyConfig(), grid: { 'dataset.trainSubset': [500, 1000] } });
    const subsets = await Promise.all(runIds.map(async (id) => (await bench!.wb.invoke('runs:get', { id })).config.dataset.trainSubset));
    expect(subsets).toEqual([500, 1000]);
  });

  it('updates name, tags and notes; rejects unknown fields in a request', async () => {
    bench = await openTestBench({ startQueue: false });
    const { wb } = bench;
    const { id } = await wb.invoke('runs:start', { config: tinyConfig() });
    const updated = await wb.invoke('runs:update', { id, name: 'baseline', tags: ['paper'], notes: 'first try' });
    expect([updated.name, updated.tags, updated.notes]).toEqual(['baseline', ['paper'], 'first try']);
    await expect(wb.invoke('runs:update', { id, colour: 'red' } as never)).rejects.toThrow(/colour/);
    await expect(wb.invoke('runs:list', { sortBy: 'loss' } as never)).rejects.toThrow(/sortBy/);
  });
});
