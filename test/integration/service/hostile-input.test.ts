// Hostile and clumsy input against the real service on a temporary data folder
// (issue 10): each case is one finding of the attack report, and asserts what a
// user would notice — a clear error naming the field, nothing written outside the
// data folder, no stray run, a process that keeps answering.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Workbench } from '../../../src-main/service/workbench';
import { setLimit } from '../../../src-main/shared/limits';
import { recordRun } from '../server/recorded-run';
import { storeOf } from './helpers';
import { writeCheckpointManifest } from '../../../src-main/engine/train/checkpoint-manifest';
import { parseRunConfig } from '../../../src-main/shared/run-config';
import { configHash } from '../../../src-main/service/run-identity';

let root: string;
let dataDir: string;
let wb: Workbench;
let recorded: number;

beforeAll(async () => {
  root = mkdtempSync(join(os.tmpdir(), 'kerv-hostile-'));
  dataDir = join(root, 'data');
  wb = await Workbench.open({ dataDir, appVersion: '0.0.0-test', startQueue: false });
  recorded = recordRun(storeOf(wb), 'bundled', { epochs: 2 });
});

afterAll(async () => {
  await wb?.close();
  rmSync(root, { recursive: true, force: true });
});

afterEach(() => {
  setLimit('MAX_BUNDLE_BYTES', undefined);
  setLimit('MAX_SWEEP_RUNS', undefined);
});

const runCount = async () => (await wb.invoke('runs:list', {})).total;

/** A real exported bundle of the recorded run, as JSON to tamper with. */
async function exportedBundle(): Promise<{ runs: Record<string, unknown>[] } & Record<string, unknown>> {
  const { path } = await wb.invoke('runs:exportBundle', { ids: [recorded], path: 'base.kervrun' });
  return JSON.parse(gunzipSync(readFileSync(path)).toString('utf8'));
}

/** Writes a tampered bundle into the data folder's bundles/ (where requests may name files) and returns its relative name. */
function writeBundle(name: string, bundle: unknown): string {
  mkdirSync(join(dataDir, 'bundles'), { recursive: true });
  writeFileSync(join(dataDir, 'bundles', name), gzipSync(Buffer.from(JSON.stringify(bundle))));
  return name;
}

/** Every file under a folder (recursively). */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

describe('finding 1 and 9: bundle import stays inside the data folder, all or nothing', () => {
  it("refuses a checkpoint folder of '../../..' before writing anything, and adds no run", async () => {
    const bundle = await exportedBundle();
    bundle.runs[0].checkpoint = { step: 20, epoch: 2, folder: '../../../../escaped', files: [{ path: 'pwned.txt', base64: Buffer.from('x').toString('base64') }] };
    const before = await runCount();
    const error = await wb.invoke('runs:importBundle', { path: writeBundle('escape.kervrun', bundle) }).catch((e: Error) => e);
    expect((error as Error).message).toMatch(/runs\.0\.checkpoint\.folder: .*checkpoint folder name/);
    expect(await runCount()).toBe(before);
    expect(filesUnder(root).filter((f) => f.includes('escaped') || f.endsWith('pwned.txt'))).toEqual([]);
  });

  it("refuses checkpoint file paths with '..' or a leading '/', naming the file's field", async () => {
    for (const path of ['../../../../outside.bin', '/tmp/outside.bin', 'a/../../b.bin']) {
      const bundle = await exportedBundle();
      bundle.runs[0].checkpoint = { step: 20, epoch: 2, folder: 'step-00000020', files: [{ path, base64: 'AAAA' }] };
      const before = await runCount();
      await expect(wb.invoke('runs:importBundle', { path: writeBundle('files.kervrun', bundle) })).rejects.toThrow(/runs\.0\.checkpoint\.files\.0\.path/);
      expect(await runCount()).toBe(before);
    }
    expect(existsSync('/tmp/outside.bin')).toBe(false);
  });

  it('a bundle whose second run is bad imports nothing at all (no stray run, no staged files)', async () => {
    const bundle = await exportedBundle();
    const second = structuredClone(bundle.runs[0]);
    (second.config as { model: unknown }).model = { arch: 'no-such-arch' };
    bundle.runs.push(second);
    const before = await runCount();
    await expect(wb.invoke('runs:importBundle', { path: writeBundle('half.kervrun', bundle) })).rejects.toThrow(/runs\.1\.config\.model\.arch/);
    expect(await runCount()).toBe(before);

    // The first run's checkpoint is staged, the second's is corrupt: both go, nothing stays.
    const staged = await exportedBundle();
    const good = { path: 'state.json', base64: Buffer.from('{"step":20,"epoch":2}').toString('base64') };
    staged.runs[0].checkpoint = { step: 20, epoch: 2, folder: 'step-00000020', files: [good] };
    const broken = structuredClone(staged.runs[0]);
    const manifest = { format: 'kerv-checkpoint-manifest', version: 1, files: { 'state.json': { bytes: 1, sha256: '0'.repeat(64) } } };
    broken.checkpoint = { step: 20, epoch: 2, folder: 'step-00000020', files: [good, { path: 'manifest.json', base64: Buffer.from(JSON.stringify(manifest)).toString('base64') }] };
    staged.runs.push(broken);
    const filesBefore = filesUnder(join(dataDir, 'runs'));
    await expect(wb.invoke('runs:importBundle', { path: writeBundle('staged.kervrun', staged) })).rejects.toThrow(/runs\.1\.checkpoint is corrupt/);
    expect(await runCount()).toBe(before);
    expect(filesUnder(join(dataDir, 'runs'))).toEqual(filesBefore);
  });

  it('a checkpoint whose file does not match its manifest is refused, and nothing is imported', async () => {
    const bundle = await exportedBundle();
    const manifest = { format: 'kerv-checkpoint-manifest', version: 1, files: { 'weights.bin': { bytes: 3, sha256: '0'.repeat(64) } } };
    bundle.runs[0].checkpoint = {
      step: 20,
      epoch: 2,
      folder: 'step-00000020',
      files: [
        { path: 'weights.bin', base64: Buffer.from('abc').toString('base64') },
        { path: 'manifest.json', base64: Buffer.from(JSON.stringify(manifest)).toString('base64') },
      ],
    };
    const before = await runCount();
    await expect(wb.invoke('runs:importBundle', { path: writeBundle('corrupt.kervrun', bundle) })).rejects.toThrow(/weights\.bin does not match its sha256/);
    expect(await runCount()).toBe(before);
  });

  it('a good bundle with a checkpoint lands under the new run', async () => {
    const bundle = await exportedBundle();
    bundle.runs[0].checkpoint = { step: 20, epoch: 2, folder: 'step-00000020', files: [{ path: 'state.json', base64: Buffer.from('{"step":20,"epoch":2}').toString('base64') }] };
    const { ids } = await wb.invoke('runs:importBundle', { path: writeBundle('good.kervrun', bundle) });
    expect(ids).toHaveLength(1);
    expect(existsSync(join(dataDir, 'runs', String(ids[0]), 'checkpoint', 'step-00000020', 'state.json'))).toBe(true);
  });
});

describe('finding 2: bundle export writes only inside the data folder', () => {
  it("refuses '../' and absolute paths through the API, naming the field", async () => {
    for (const path of ['../outside.kervrun', '../../outside.kervrun', join(root, 'outside.kervrun'), '/tmp/kerv-outside.kervrun']) {
      await expect(wb.invoke('runs:exportBundle', { ids: [recorded], path })).rejects.toThrow(/^path: .*outside/);
    }
    expect(filesUnder(root).filter((f) => f.endsWith('outside.kervrun'))).toEqual([]);
    expect(existsSync('/tmp/kerv-outside.kervrun')).toBe(false);
  });

  it('refuses a symbolic link inside bundles/ that leads outside', async () => {
    mkdirSync(join(dataDir, 'bundles'), { recursive: true });
    mkdirSync(join(root, 'elsewhere'), { recursive: true });
    symlinkSync(join(root, 'elsewhere'), join(dataDir, 'bundles', 'link'));
    await expect(wb.invoke('runs:exportBundle', { ids: [recorded], path: 'link/x.kervrun' })).rejects.toThrow(/symbolic link/);
    expect(readdirSync(join(root, 'elsewhere'))).toEqual([]);
  });

  it('writes a relative path under the data folder, and a path the user granted (a dialog, the CLI) anywhere', async () => {
    const inside = await wb.invoke('runs:exportBundle', { ids: [recorded], path: 'mine.kervrun' });
    expect(inside.path).toBe(join(dataDir, 'bundles', 'mine.kervrun'));
    const chosen = join(root, 'chosen.kervrun');
    const revoke = wb.grantPath(chosen);
    expect((await wb.invoke('runs:exportBundle', { ids: [recorded], path: chosen })).path).toBe(chosen);
    revoke();
    await expect(wb.invoke('runs:exportBundle', { ids: [recorded], path: chosen })).rejects.toThrow(/outside/);
  });
});

describe('finding 3: prototype keys are refused at the boundary', () => {
  it('a sweep grid key __proto__.hasOwnProperty is refused and Object.prototype stays intact', async () => {
    for (const key of ['__proto__.hasOwnProperty', 'constructor.prototype.polluted', 'model.__proto__.x', 'prototype']) {
      const error = (await wb.invoke('sweeps:start', { base: {}, grid: { [key]: [1] } }).catch((e: Error) => e)) as Error & { issues?: unknown[] };
      expect(error).toBeInstanceOf(Error);
      expect(error.message).toMatch(/not allowed as a key|names an object prototype/);
    }
    expect(typeof ({} as { hasOwnProperty: unknown }).hasOwnProperty).toBe('function');
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
    // And the service still answers.
    expect((await wb.invoke('runs:get', { id: recorded })).id).toBe(recorded);
  });

  it('a __proto__ key anywhere in any request (as JSON.parse makes it) is refused with its path', async () => {
    const arg = JSON.parse('{"config": {"model": {"__proto__": {"polluted": 1}}}}');
    await expect(wb.invoke('runs:start', arg)).rejects.toThrow(/config\.model\.__proto__: '__proto__' is not allowed as a key/);
    const update = JSON.parse(`{"id": ${recorded}, "constructor": {"prototype": {"x": 1}}}`);
    await expect(wb.invoke('runs:update', update)).rejects.toThrow(/constructor/);
    expect(({} as { polluted?: unknown; x?: unknown }).polluted).toBeUndefined();
  });

  it('unknown keys and arguments to argument-less requests are refused', async () => {
    await expect(wb.invoke('runs:get', { id: recorded, extra: 1 } as never)).rejects.toThrow('(argument): unknown field(s) "extra"');
    await expect(wb.invoke('queue:get', { anything: true } as never)).rejects.toThrow(/queue:get/);
    await expect(wb.invoke('queue:get', undefined)).resolves.toBeDefined();
  });
});

describe('finding 4: reads are bounded and only regular files are read', () => {
  it('importing /dev/zero as a bundle is refused at once (not a regular file), memory untouched', async () => {
    const revoke = wb.grantPath('/dev/zero');
    const before = process.memoryUsage().rss;
    await expect(wb.invoke('runs:importBundle', { path: '/dev/zero' })).rejects.toThrow(/not a regular file/);
    revoke();
    expect(process.memoryUsage().rss - before).toBeLessThan(256 * 1024 * 1024);
  });

  it('a bundle above MAX_BUNDLE_BYTES is refused with the limit and how to raise it', async () => {
    const name = writeBundle('big.kervrun', await exportedBundle());
    setLimit('MAX_BUNDLE_BYTES', 100);
    await expect(wb.invoke('runs:importBundle', { path: name })).rejects.toThrow(/the limit is 100 bytes .*KERV_MAX_BUNDLE_BYTES/);
  });
});

describe('finding 5: sweep size is limited before anything is expanded', () => {
  it('a 1000 × 1000 grid is refused at once with the count and the limit; nothing is saved', async () => {
    const values = Array.from({ length: 1000 }, (_, i) => 0.0001 * (i + 1));
    const before = await runCount();
    const started = Date.now();
    const error = (await wb.invoke('sweeps:start', { base: {}, grid: { 'optimizer.lr': values, 'optimizer.weightDecay': values } }).catch((e: Error) => e)) as Error;
    expect(error.message).toMatch(/The sweep \(1000 × 1000 grid points × 1 repeat\) is 1,000,000 runs; the limit is 1,000 runs .*KERV_MAX_SWEEP_RUNS/);
    expect(await runCount()).toBe(before);
    // Not a timing assertion on the machine's speed: a refusal must not take the 24 minutes the expansion took.
    expect(Date.now() - started).toBeLessThan(60_000);
  });

  it('random draws are limited too, and a few draws from a huge grid work without listing it', async () => {
    const values = Array.from({ length: 1000 }, (_, i) => 0.0001 * (i + 1));
    const grid = { 'optimizer.lr': values, 'optimizer.weightDecay': values };
    await expect(wb.invoke('sweeps:start', { base: {}, grid, randomDraws: 1e9 })).rejects.toThrow(/1,000,000,000 random draws|the limit is 1,000 runs/);
    const { runIds } = await wb.invoke('sweeps:start', { base: {}, grid, randomDraws: 5, repeats: 2 });
    expect(runIds).toHaveLength(10);
    const configs = await Promise.all(runIds.map((id) => wb.invoke('runs:get', { id })));
    expect(new Set(configs.map((r) => `${r.config.optimizer.lr}/${r.config.optimizer.weightDecay}`)).size).toBe(5);
    await wb.invoke('runs:delete', { ids: runIds });
  });
});

describe('finding 11: clear errors instead of raw ones', () => {
  it('a 1 MB search string is refused naming the field and the limit (not "LIKE pattern too complex")', async () => {
    const error = (await wb.invoke('runs:list', { search: 'a%'.repeat(500_000) }).catch((e: Error) => e)) as Error;
    expect(error.message).toMatch(/search: at most 500 characters \(MAX_SEARCH_LENGTH; raise it with KERV_MAX_SEARCH_LENGTH\)/);
    expect(error.message).not.toMatch(/LIKE or GLOB/);
  });

  it('malformed bundles get a sentence naming the field, not a TypeError', async () => {
    const bundle = await exportedBundle();
    (bundle.runs[0] as { metrics: unknown }).metrics = { steps: 'oops' };
    const error = (await wb.invoke('runs:importBundle', { path: writeBundle('malformed.kervrun', bundle) }).catch((e: Error) => e)) as Error;
    expect(error.message).toMatch(/^Bundle malformed\.kervrun is malformed: runs\.0\.metrics\.(steps|epochs)/);
    expect(error.name).not.toBe('TypeError');
    writeFileSync(join(dataDir, 'bundles', 'junk.kervrun'), 'not gzip');
    await expect(wb.invoke('runs:importBundle', { path: 'junk.kervrun' })).rejects.toThrow(/junk\.kervrun is not a \.kervrun bundle/);
    const noRuns = { format: 'kervrun', version: 1, exportedAt: 'x', runs: null };
    await expect(wb.invoke('runs:importBundle', { path: writeBundle('null-runs.kervrun', noRuns) })).rejects.toThrow(/runs: /);
  });

  it("the derived record checks keep their edges: a NaN measure (null in JSON) is read, a null count or an unknown key is refused by name", async () => {
    const bundle = await exportedBundle();
    const epochs = (bundle.runs[0] as { metrics: { epochs: Record<string, unknown>[] } }).metrics.epochs;
    epochs[0].trainLoss = null;
    const { ids } = await wb.invoke('runs:importBundle', { path: writeBundle('nan-loss.kervrun', bundle) });
    expect(Number.isNaN((await wb.invoke('runs:metrics', { id: ids[0] })).epochs[0].trainLoss ?? NaN)).toBe(true);
    epochs[0].epoch = null;
    await expect(wb.invoke('runs:importBundle', { path: writeBundle('null-epoch.kervrun', bundle) })).rejects.toThrow(/runs\.0\.metrics\.epochs\.0\.epoch: /);
    epochs[0].epoch = 1;
    epochs[0].surprise = 1;
    await expect(wb.invoke('runs:importBundle', { path: writeBundle('extra-key.kervrun', bundle) })).rejects.toThrow(/runs\.0\.metrics\.epochs\.0: Unrecognized key: "surprise"/);
  });

  it('kervLayers out of range (0,7 on lenet5, 2 convolutions) is refused before a run exists, naming the field and the range', async () => {
    const config = { model: { arch: 'lenet5' as const, kernel: { type: 'polynomial' as const }, kervLayers: [0, 7] } };
    const before = await runCount();
    const error = (await wb.invoke('runs:start', { config }).catch((e: Error) => e)) as Error & { issues: { path: string; message: string }[] };
    expect(error.issues).toEqual([{ path: 'model.kervLayers', message: 'lenet5 has 2 convolutions (indices 0-1); index 7 is out of range' }]);
    expect(await runCount()).toBe(before);
    const validation = await wb.invoke('config:validate', config);
    expect(validation).toEqual({ ok: false, issues: [{ path: 'model.kervLayers', message: 'lenet5 has 2 convolutions (indices 0-1); index 7 is out of range' }] });
    await expect(wb.invoke('sweeps:start', { base: config, grid: { 'optimizer.lr': [0.1] } })).rejects.toThrow(/model\.kervLayers: lenet5 has 2 convolutions/);
    expect(await runCount()).toBe(before);
  });
});

describe('issue 12 bug 3: run numbers are never reused', () => {
  it('deleting the newest run does not give its number to the next one', async () => {
    const { id: newest } = await wb.invoke('runs:start', { config: { model: { arch: 'mlp' } } });
    await wb.invoke('runs:delete', { ids: [newest] });
    const { id: next } = await wb.invoke('runs:start', { config: { model: { arch: 'mlp' } } });
    expect(next).toBe(newest + 1);
    await wb.invoke('runs:delete', { ids: [next] });
  });
});

describe('finding 8: checkpoints are verified before resume deletes anything', () => {
  /** A failed run with 20 recorded steps and a checkpoint (state + weights + manifest) at each given step. */
  function failedRunWithCheckpoints(checkpointSteps: number[]): { id: number; dir: (step: number) => string } {
    const config = parseRunConfig({ model: { arch: 'mlp' } });
    const id = storeOf(wb).runs.insert({ name: 'ckpt', config, configHash: configHash(config) });
    storeOf(wb).transaction(() => storeOf(wb).runs.transition(id, 'running'));
    const steps = Array.from({ length: 20 }, (_, i) => ({ step: i + 1, epoch: i < 10 ? 1 : 2, loss: 1, accuracy: 0.5, learningRate: 0.01, imagesPerSecond: 1, wallTimeMs: i }));
    storeOf(wb).writeProgress(id, [{ type: 'steps', steps }]);
    storeOf(wb).transaction(() => storeOf(wb).runs.transition(id, 'failed', { error: 'worker process was killed (SIGKILL) at step 20' }));
    const dir = (step: number) => join(dataDir, 'runs', String(id), 'checkpoint', `step-${String(step).padStart(8, '0')}`);
    for (const step of checkpointSteps) {
      mkdirSync(dir(step), { recursive: true });
      writeFileSync(join(dir(step), 'state.json'), JSON.stringify({ step, epoch: step / 10 }));
      writeFileSync(join(dir(step), 'weights.bin'), Buffer.alloc(4096, step));
      writeCheckpointManifest(dir(step));
    }
    return { id, dir };
  }

  it('random bytes in the newest weights file: resume falls back to the previous good checkpoint and logs which file was bad', async () => {
    const { id, dir } = failedRunWithCheckpoints([10, 20]);
    writeFileSync(join(dir(20), 'weights.bin'), Buffer.alloc(4096, 0xab)); // same size, other bytes
    await wb.invoke('runs:resume', { id });
    const run = await wb.invoke('runs:get', { id });
    expect([run.status, run.step]).toEqual(['queued', 10]);
    expect((await wb.invoke('runs:metrics', { id })).steps.step).toHaveLength(10);
    const log = await wb.invoke('runs:log', { id });
    expect(log.some((l) => l.level === 'warn' && /step 20: .*weights\.bin does not match its sha256/.test(l.message))).toBe(true);
    expect(existsSync(dir(10))).toBe(true);
  });

  it('a truncated checkpoint with no earlier good one: resume refuses naming the file, and deletes nothing', async () => {
    const { id, dir } = failedRunWithCheckpoints([20]);
    writeFileSync(join(dir(20), 'weights.bin'), Buffer.alloc(100, 20)); // truncated
    const error = (await wb.invoke('runs:resume', { id }).catch((e: Error) => e)) as Error;
    expect(error.message).toMatch(/cannot resume: .*weights\.bin has 100 bytes, the manifest says 4096/);
    const run = await wb.invoke('runs:get', { id });
    expect([run.status, run.step]).toEqual(['failed', 20]);
    expect((await wb.invoke('runs:metrics', { id })).steps.step).toHaveLength(20);
    expect(existsSync(join(dir(20), 'weights.bin'))).toBe(true);
  });
});
