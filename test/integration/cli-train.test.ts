// `kerv train` as a user runs it: the bundled CLI (out/node/kerv.js, built by the
// global setup) in a child process, on a real Fashion-MNIST subset.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { availableCores } from '../../src-main/engine/backend/cores';
import { INTERRUPTED_AT_STEP, trainThenCtrlC } from './interrupted-train';

const tmp = mkdtempSync(join(os.tmpdir(), 'kerv-cli-train-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function childEnv(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  // Runs are recorded in the workbench's data folder: a private one, never the user's.
  const env: NodeJS.ProcessEnv = { ...process.env, KERV_CACHE_DIR: join(tmp, 'cache'), KERV_DATA_DIR: join(tmp, 'data'), ...extra };
  if (extra.KERV_BACKEND === undefined) delete env.KERV_BACKEND;
  return env;
}

function kerv(args: string[], env: NodeJS.ProcessEnv = {}) {
  const result = spawnSync(process.execPath, ['out/node/kerv.js', 'train', ...args], { encoding: 'utf8', env: childEnv(env), timeout: 300_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('kerv train', () => {
  it('trains a convnet on a Fashion-MNIST subset, prints progress and writes the summary JSON', () => {
    const summaryFile = join(tmp, 'summary.json');
    const checkpoints = join(tmp, 'checkpoints');
    // The file sets the arch, seed and optimiser; flags override its subset and epochs.
    const configFile = join(tmp, 'run.json');
    writeFileSync(configFile, JSON.stringify({ seed: 3, epochs: 4, model: { arch: 'convnet' }, dataset: { trainSubset: 5000 }, optimizer: { type: 'adamw', lr: 0.003, weightDecay: 0.01 } }));
    const { code, stdout, stderr } = kerv([
      '--config', configFile, '--dataset', 'fashion-mnist', '--train-subset', '2000', '--test-subset', '500',
      '--epochs', '1', '--backend', 'wasm', '--checkpoint-dir', checkpoints, '--summary-json', summaryFile,
    ]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^kerv train: fashion-mnist, convnet ×1 \(linear\), 1 epoch, batch 64, adamw lr 0.003 \(cosine\), seed 3$/m);
    // Every core by default (threads: 'auto'), as data parallelism: each thread a shard of the 64-image batch.
    const cores = availableCores();
    const layout = cores === 1 ? '1 thread' : `${cores} threads: data-parallel, ${cores} shards of `;
    expect(stdout).toMatch(new RegExp(`^Backend: wasm on .+, ${layout}`, 'm'));
    expect(stdout).toMatch(/^Model: convnet, [\d,]+ parameters$/m);
    expect(stdout).toMatch(/2,000 train \/ 260 validation \/ 500 test, 32 steps per epoch/);
    // Not a terminal: one progress line per ~10%, ending at 100%.
    const progress = stdout.split('\n').filter((l) => l.startsWith('Epoch 1/1 '));
    expect(progress.length).toBeGreaterThanOrEqual(5);
    expect(progress.at(-1)).toMatch(/^Epoch 1\/1 100% 32\/32 {2}loss \d+\.\d{4} {2}acc [\d.]+% {2}\d+ img\/s$/);
    expect(stdout).toMatch(/^Epoch 1\/1: train loss \d\.\d{4} acc [\d.]+% \| val loss \d\.\d{4} acc [\d.]+% \| (?:[\d.]+s|\d+m \d{2}s|\d+h \d{2}m)$/m);
    expect(stdout).toMatch(/^Done: test accuracy [\d.]+% \(loss \d\.\d{4}\)/m);
    expect(readdirSync(checkpoints)).toEqual(['step-00000032']);

    const summary = JSON.parse(readFileSync(summaryFile, 'utf8'));
    expect(summary.outcome.status).toBe('completed');
    expect(summary.summary.steps).toBe(32);
    expect(summary.summary.testAccuracy).toBeGreaterThan(0.5); // 10 classes: chance is 0.1
    expect(summary.config.model.arch).toBe('convnet');
    expect(summary.config.seed).toBe(3);
    expect(summary.config.epochs).toBe(1);
    expect(summary.config.optimizer).toMatchObject({ type: 'adamw', lr: 0.003, weightDecay: 0.01 });
    expect(summary.environment.backend).toBe('wasm');
    expect(summary.epochs).toHaveLength(1);
    expect(summary.epochs[0].confusion).toHaveLength(10);
  });

  it('trains the one-thread curve on threaded XNNPACK, batch norm and pooling included (the SIMD kernels on its shared memory)', () => {
    const run = (threads: string) => {
      const summaryFile = join(tmp, `xnnpack-${threads}.json`);
      const { code, stderr } = kerv([
        '--arch', 'convbn', '--width', '0.25', '--train-subset', '256', '--test-subset', '64', '--batch-size', '32', '--epochs', '1',
        '--seed', '5', '--backend', 'wasm', '--threads', threads, '--parallel', 'xnnpack', '--summary-json', summaryFile,
      ]);
      expect(stderr).toBe('');
      expect(code).toBe(0);
      return JSON.parse(readFileSync(summaryFile, 'utf8'));
    };
    const [two, one] = [run('2'), run('1')];
    expect([two.environment.threads, two.environment.parallel]).toEqual([2, 'xnnpack']);
    expect(Math.abs(two.epochs[0].trainLoss - one.epochs[0].trainLoss)).toBeLessThan(1e-4 * one.epochs[0].trainLoss);
  });

  it('rejects a bad flag value with exit code 2, naming the field and the allowed values', () => {
    const bad = kerv(['--optimizer', 'adamax']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('optimizer.type: must be one of "sgd", "adam", "adamw"');
    const layout = kerv(['--parallel', 'pipeline']);
    expect(layout.code).toBe(2);
    expect(layout.stderr).toContain('parallel: must be one of "auto", "data", "xnnpack"');
    const notNumber = kerv(['--lr', 'fast']);
    expect(notNumber.code).toBe(2);
    expect(notNumber.stderr).toContain('optimizer.lr: must be a number');
    const env = kerv([], { KERV_BACKEND: 'quantum' });
    expect(env.code).toBe(2);
    expect(env.stderr).toMatch(/backend: must be one of "auto", .*"wasm"/);
    // Issue 22: a subset larger than the dataset is refused before a run exists, naming the dataset's size.
    const tooMany = kerv(['--train-subset', '999999999']);
    expect(tooMany.code).toBe(2);
    expect(tooMany.stderr).toContain("dataset.trainSubset: 999999999 is more than Fashion-MNIST's 54000 training images");
    const tooManyTests = kerv(['--dataset', 'mnist', '--test-subset', '10001']);
    expect(tooManyTests.code).toBe(2);
    expect(tooManyTests.stderr).toContain("dataset.testSubset: 10001 is more than MNIST's 10000 test images");
    const noValidation = kerv(['--early-stopping', '3', '--val-fraction', '0']);
    expect(noValidation.code).toBe(2);
    expect(noValidation.stderr).toContain('earlyStopping: needs a validation split to watch: dataset.validationFraction is 0');
  });

  it('--early-stopping stops a stalled run, says why, and tests the best epoch', () => {
    const { code, stdout, stderr } = kerv([
      '--arch', 'mlp', '--width', '0.25', '--train-subset', '500', '--test-subset', '100', '--epochs', '5', '--backend', 'wasm',
      '--early-stopping', '2', '--early-stopping-metric', 'validationLoss', '--min-delta', '10',
    ]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Stopped early after epoch 3 of 5: validation loss did not improve by more than 10 for 2 epochs \(best \d\.\d{4} at epoch 1\)\.$/m);
    expect(stdout).toMatch(/^Done: test accuracy [\d.]+% \(loss \d\.\d{4}, epoch 1's weights: the best\), .* 3 epochs \/ 24 steps/m);
  });

  it('exits 1 with the reason when the run diverges', () => {
    const { code, stderr } = kerv([
      '--arch', 'mlp', '--train-subset', '320', '--test-subset', '100', '--batch-size', '16',
      '--epochs', '2', '--optimizer', 'sgd', '--lr', '10', '--momentum', '0.99', '--schedule', 'constant', '--clip', 'none', '--backend', 'wasm',
    ]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/Diverged: loss became (NaN|infinite) at step \d+ \(epoch \d\)/);
  });

  it('Ctrl+C stops after the current step with exit code 130 and keeps a checkpoint to resume from', async () => {
    const checkpoints = join(tmp, 'interrupted');
    const { code, stderr } = await trainThenCtrlC(['--checkpoint-dir', checkpoints], childEnv({}));
    expect(code).toBe(130);
    expect(stderr).toMatch(new RegExp(`Cancelled at epoch 1, step ${INTERRUPTED_AT_STEP}\\. Resume with: kerv train --resume `));
    const saved = readdirSync(checkpoints);
    expect(saved).toHaveLength(1);
    expect(saved[0]).toMatch(/^step-\d{8}-partial$/);

    const resumed = kerv(['--resume', checkpoints, '--test-subset', '100']);
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(new RegExp(`^Resumed from .+ at epoch 1, step ${INTERRUPTED_AT_STEP}\\.$`, 'm'));
    expect(resumed.stdout).toMatch(/^Done: test accuracy/m);
  });
});
