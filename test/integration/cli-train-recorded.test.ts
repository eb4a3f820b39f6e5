// `kerv train` runs are runs like any other: recorded in the workbench's data
// folder (config, environment, metrics, samples, log, checkpoints), listed by
// `kerv runs`, exported, and resumable after Ctrl+C — through the bundled CLI in
// child processes, on a real Fashion-MNIST subset.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCsv } from '../../src-main/shared/table-format';
import { INTERRUPTED_AT_STEP, trainThenCtrlC } from './interrupted-train';

const KERV = resolve('out/node/kerv.js');
const tmp = mkdtempSync(join(os.tmpdir(), 'kerv-cli-train-recorded-'));
const dataDir = join(tmp, 'data');
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function env(): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env, KERV_CACHE_DIR: join(tmp, 'cache') };
  delete e.KERV_DATA_DIR; // the folder comes from --data-dir, as a user passes it
  delete e.KERV_BACKEND;
  return e;
}

function kerv(...args: string[]) {
  const r = spawnSync(process.execPath, [KERV, ...args], { encoding: 'utf8', env: env(), timeout: 300_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const TINY = ['--arch', 'mlp', '--width', '0.25', '--train-subset', '500', '--test-subset', '200', '--epochs', '1', '--batch-size', '64', '--samples', '8', '--backend', 'wasm'];

describe('kerv train records its run in the workbench', () => {
  it('a trained run appears in `kerv runs list` and `runs show` with config, environment, metrics and log, and in exports', () => {
    const r = kerv('train', ...TINY, '--name', 'from the CLI', '--seed', '7', '--data-dir', dataDir);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain(`Recorded as run 1 in ${dataDir}`);
    const printedTest = /^Done: test accuracy ([\d.]+)%/m.exec(r.out)![1];

    const list = JSON.parse(kerv('runs', 'list', '--data-dir', dataDir, '--json').out);
    expect(list.rows.map((row: { id: number; name: string; status: string }) => [row.id, row.name, row.status])).toEqual([[1, 'from the CLI', 'completed']]);

    const shown = JSON.parse(kerv('runs', 'show', '1', '--data-dir', dataDir, '--json').out);
    expect(shown.run.config).toMatchObject({ name: 'from the CLI', seed: 7, epochs: 1, model: { arch: 'mlp', widthMultiplier: 0.25 } });
    expect(shown.run.environment).toMatchObject({ backend: 'wasm', nodeVersion: process.versions.node });
    expect(shown.run.step).toBe(shown.run.totalSteps);
    expect((shown.run.testAccuracy * 100).toFixed(2)).toBe(printedTest);
    expect(shown.epochs).toHaveLength(1);
    const printedVal = /^Epoch 1\/1: .* val loss [\d.]+ acc ([\d.]+)%/m.exec(r.out)![1];
    expect((shown.epochs[0].validationAccuracy * 100).toFixed(2)).toBe(printedVal);
    expect(shown.epochs[0].perClassAccuracy).toHaveLength(10);
    expect(shown.log.map((l: { message: string }) => l.message)).toContainEqual(expect.stringMatching(/^started on wasm/));

    const csv = parseCsv(kerv('export', '--runs', '1', '--columns', 'id,name,seed,testAccuracy', '--data-dir', dataDir).out);
    expect(csv[1].slice(0, 3)).toEqual(['1', 'from the CLI', '7']);
    expect((Number(csv[1][3]) * 100).toFixed(2)).toBe(printedTest);
  });

  it('--no-record leaves the workbench untouched', () => {
    const elsewhere = join(tmp, 'untouched');
    const r = kerv('train', ...TINY, '--no-record', '--data-dir', elsewhere);
    expect(r.code).toBe(0);
    expect(r.out).not.toContain('Recorded as run');
    expect(existsSync(join(elsewhere, 'workbench.sqlite'))).toBe(false);
    expect(JSON.parse(kerv('runs', 'list', '--data-dir', dataDir, '--json').out).rows).toHaveLength(1);
  });

  it('Ctrl+C leaves an interrupted run that `kerv runs resume` finishes', async () => {
    const { code, stdout, stderr } = await trainThenCtrlC(['--data-dir', dataDir], env());
    expect(code).toBe(130);
    expect(stdout).toContain('Recorded as run 2 in');
    expect(stderr).toMatch(new RegExp(`Cancelled at epoch 1, step ${INTERRUPTED_AT_STEP}\\. Resume with: kerv runs resume 2$`, 'm'));
    const interrupted = JSON.parse(kerv('runs', 'show', '2', '--data-dir', dataDir, '--json').out).run;
    expect(interrupted.status).toBe('interrupted');
    expect(interrupted.error).toMatch(new RegExp(`^kerv train was interrupted at step ${INTERRUPTED_AT_STEP}\\b`));
    expect(interrupted.resumable).toBe(true);

    const resumed = kerv('runs', 'resume', '2', '--data-dir', dataDir);
    expect(resumed.code).toBe(0);
    expect(resumed.out).toMatch(/run 2: completed best val/);
    const done = JSON.parse(kerv('runs', 'show', '2', '--data-dir', dataDir, '--json').out).run;
    expect(done.status).toBe('completed');
    expect(done.step).toBe(done.totalSteps);
  });

  it('kerv train --resume of a recorded run’s checkpoints continues that run: its number, its curve so far, "resumed" in its log', async () => {
    const checkpoints = join(tmp, 'recorded-checkpoints');
    const { code, stdout, stderr } = await trainThenCtrlC(['--data-dir', dataDir, '--checkpoint-dir', checkpoints], env());
    expect(code).toBe(130);
    const id = Number(/^Recorded as run (\d+) in /m.exec(stdout)![1]);
    expect(stderr).toMatch(new RegExp(`Resume with: kerv train --resume ${checkpoints}$`, 'm'));
    const lossesSoFar = stepLosses(id);
    expect(lossesSoFar.map(([step]) => step)).toEqual([1, 2, 3, 4, 5]);
    const runsBefore = JSON.parse(kerv('runs', 'list', '--data-dir', dataDir, '--json').out).total;

    // As the message says, with one more epoch.
    const resumed = kerv('train', '--resume', checkpoints, '--epochs', '2', '--data-dir', dataDir);
    // The engine's one warning about the longer run (its schedule stretches); nothing else.
    expect(resumed.err).toMatch(/^warn: epochs changed from 1 to 2: [^\n]+\n$/);
    expect(resumed.code).toBe(0);
    expect(resumed.out).toContain(`Continuing run ${id} in ${dataDir}, from ${join(checkpoints, `step-0000000${INTERRUPTED_AT_STEP}-partial`)}`);
    expect(resumed.out).not.toContain('Recorded as run');
    expect(resumed.out).toMatch(new RegExp(`^Resumed from .+ at epoch 1, step ${INTERRUPTED_AT_STEP}\\.$`, 'm'));

    expect(JSON.parse(kerv('runs', 'list', '--data-dir', dataDir, '--json').out).total).toBe(runsBefore);
    const shown = JSON.parse(kerv('runs', 'show', String(id), '--data-dir', dataDir, '--json').out);
    expect(shown.run).toMatchObject({ status: 'completed', error: null, config: { epochs: 2 } });
    expect(shown.run.step).toBe(shown.run.totalSteps);
    expect(shown.epochs.map((e: { epoch: number }) => e.epoch)).toEqual([1, 2]);
    const log = shown.log.map((l: { message: string }) => l.message);
    expect(log).toContainEqual(`resume requested from the checkpoint at step ${INTERRUPTED_AT_STEP} (in epoch 1)`);
    expect(log).toContainEqual(expect.stringMatching(new RegExp(`^Resumed from .+ at epoch 1, step ${INTERRUPTED_AT_STEP}\\.$`)));
    // The steps before the checkpoint are the ones first recorded, not trained again; the rest follow on.
    const losses = stepLosses(id);
    expect(losses.slice(0, INTERRUPTED_AT_STEP)).toEqual(lossesSoFar);
    expect(losses.map(([step]) => step)).toEqual(Array.from({ length: shown.run.totalSteps }, (_, i) => i + 1));
  });

  it('a run recorded with --checkpoint-dir is resumed by `kerv runs resume` from there, and its model and bundle come from there', async () => {
    const checkpoints = join(tmp, 'kept-elsewhere');
    const { code, stdout } = await trainThenCtrlC(['--data-dir', dataDir, '--checkpoint-dir', checkpoints], env());
    expect(code).toBe(130);
    const id = String(/^Recorded as run (\d+) in /m.exec(stdout)![1]);
    const lossesSoFar = stepLosses(Number(id));
    // Its checkpoints are outside the run folder; the workbench still finds them.
    expect(JSON.parse(kerv('runs', 'show', id, '--data-dir', dataDir, '--json').out).run.resumable).toBe(true);

    const resumed = kerv('runs', 'resume', id, '--data-dir', dataDir);
    expect(resumed.code).toBe(0);
    expect(resumed.out).toContain(`run ${id}: queued to resume from step ${INTERRUPTED_AT_STEP} (was interrupted)`);
    const losses = stepLosses(Number(id));
    expect(losses.slice(0, INTERRUPTED_AT_STEP)).toEqual(lossesSoFar);
    expect(losses.map(([step]) => step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    // It went on checkpointing where it was told to: the epoch's end is there too.
    expect(readdirSync(checkpoints)).toContain('step-00000008');

    const model = join(tmp, 'elsewhere-model', 'model.json');
    expect(kerv('export', '--model', id, '--out', model, '--data-dir', dataDir).code).toBe(0);
    expect(statSync(join(tmp, 'elsewhere-model', 'model.weights.bin')).size).toBeGreaterThan(0);

    // The bundle carries those checkpoints: the imported run exports the same weights.
    const bundle = join(tmp, 'elsewhere.kervrun');
    expect(kerv('runs', 'export', id, '--out', bundle, '--data-dir', dataDir).code).toBe(0);
    const otherDir = join(tmp, 'other-data');
    const imported = kerv('runs', 'import', bundle, '--data-dir', otherDir);
    expect(imported.out).toBe('Imported 1 run: 1.\n');
    const again = join(tmp, 'imported-model', 'model.json');
    expect(kerv('export', '--model', '1', '--out', again, '--data-dir', otherDir).code).toBe(0);
    expect(readFileSync(join(tmp, 'imported-model', 'model.weights.bin')).equals(readFileSync(join(tmp, 'elsewhere-model', 'model.weights.bin')))).toBe(true);
  });

  it('kerv train --resume of checkpoints no recorded run wrote records a new run, and says so', async () => {
    const checkpoints = join(tmp, 'unrecorded-checkpoints');
    expect((await trainThenCtrlC(['--no-record', '--checkpoint-dir', checkpoints], env())).code).toBe(130);
    const runsBefore = JSON.parse(kerv('runs', 'list', '--data-dir', dataDir, '--json').out).total;
    const resumed = kerv('train', '--resume', checkpoints, '--data-dir', dataDir);
    expect(resumed.err).toBe('');
    expect(resumed.code).toBe(0);
    expect(resumed.out).toContain(`Recorded as run ${runsBefore + 1} in ${dataDir}: a new run, since ${checkpoints} holds no recorded run’s checkpoints`);
    expect(resumed.out).toMatch(new RegExp(`^Resumed from .+ at epoch 1, step ${INTERRUPTED_AT_STEP}\\.$`, 'm'));
  });
});

/** [step, loss] of every recorded step of run `id`, from `kerv export --series`. */
function stepLosses(id: number): [number, number][] {
  const out = join(tmp, `series-${id}.csv`);
  expect(kerv('export', '--series', '--runs', String(id), '--out', out, '--data-dir', dataDir).code).toBe(0);
  return parseCsv(readFileSync(out, 'utf8'))
    .filter((r) => r[5] === 'loss')
    .map((r) => [Number(r[2]), Number(r[6])]);
}
