// The `kerv` commands over the workbench, through the bundled CLI in child
// processes: sweep → runs → compare → export, bundles between data folders, and
// the errors and exit codes scripts rely on.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCsv } from '../../src-main/shared/table-format';

const KERV = resolve('out/node/kerv.js');
let root: string;
let dataDir: string;

function kerv(...args: string[]) {
  const r = spawnSync(process.execPath, [KERV, ...args], { encoding: 'utf8', env: { ...process.env, KERV_DATA_DIR: dataDir } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** A tfjs IO handler reading model.json and the weights it names from disk (tfjs-node's file:// is not installed). */
function fileHandler(modelFile: string) {
  return {
    load: async () => {
      const json = JSON.parse(readFileSync(modelFile, 'utf8')) as { modelTopology: object; weightsManifest: { paths: string[]; weights: object[] }[] };
      const bytes = readFileSync(join(dirname(modelFile), json.weightsManifest[0].paths[0]));
      return {
        modelTopology: json.modelTopology,
        weightSpecs: json.weightsManifest.flatMap((g) => g.weights) as never,
        weightData: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
      };
    },
  };
}

const TINY = ['--arch', 'mlp', '--width', '0.25', '--train-subset', '500', '--test-subset', '200', '--epochs', '1', '--batch-size', '64', '--samples', '8', '--backend', 'wasm'];

beforeAll(() => {
  root = mkdtempSync(join(os.tmpdir(), 'kerv-cli-runs-'));
  dataDir = join(root, 'data');
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('kerv sweep / runs / compare / export', () => {
  it('sweep trains a grid × seeds as one group and waits, one line per run', () => {
    const r = kerv('sweep', ...TINY, '--grid', 'optimizer.lr=0.1,0.02', '--repeats', '2', '--name', 'lr-sweep');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain('Group 1: queued 4 runs (1–4).');
    for (const id of [1, 2, 3, 4]) expect(r.out).toMatch(new RegExp(`run ${id}: completed best val \\d+\\.\\d+%, test \\d+\\.\\d+%`));
  });

  it('the kernel ablation is one command (dry run shows its 9 runs)', () => {
    const r = kerv('sweep', '--dry-run', '--arch', 'lenet5', '--grid', 'model.kernel.type=linear,polynomial,gaussian', '--repeats', '3');
    expect(r.code).toBe(0);
    const lines = r.out.trim().split('\n');
    expect(lines.slice(0, 9)).toEqual(
      ['linear', 'polynomial', 'gaussian'].flatMap((k) => [0, 1, 2].map((s) => `type=${k} seed=${s}`)),
    );
    expect(lines[9]).toBe('9 runs (dry run: nothing queued).');
  });

  it('runs list / show', () => {
    const list = JSON.parse(kerv('runs', 'list', '--json', '--sort', 'id', '--asc').out);
    expect(list.total).toBe(4);
    expect(list.rows.map((r: { id: number; status: string; groupId: number }) => [r.id, r.status, r.groupId])).toEqual([
      [1, 'completed', 1],
      [2, 'completed', 1],
      [3, 'completed', 1],
      [4, 'completed', 1],
    ]);
    const text = kerv('runs', 'list', '--status', 'completed', '--limit', '2');
    expect(text.out.split('\n')[0]).toMatch(/^id\s+name\s+status/);
    expect(text.out).toContain('(2 of 4; --limit/--offset for more)');
    const show = kerv('runs', 'show', '2');
    expect(show.code).toBe(0);
    expect(show.out).toMatch(/^Run 2: lr-sweep lr=0\.1 seed=1/);
    expect(show.out).toMatch(/environment\s+wasm on /);
    expect(show.out).toMatch(/\n1\s+8\s+/); // epoch 1 ended at step 8 (450 training images / 64)
  });

  it('compare shows only the differing config fields and the flipped samples', () => {
    const r = kerv('compare', '1', '4');
    expect(r.code).toBe(0);
    const diff = r.out.split('\n\n')[0].split('\n');
    expect(diff[0]).toMatch(/^field\s+run 1\s+run 4$/);
    // The name row shows each run's current name (sweep points are named after their values).
    expect(diff.slice(1).map((l) => l.split(/\s+/)[0])).toEqual(['name', 'optimizer.lr', 'seed']);
    expect(r.out).toMatch(/Sample images right in run 1 only: \d+/);
    const json = JSON.parse(kerv('compare', '1', '2', '--json').out);
    expect(json.configDiff).toEqual([
      { path: 'name', values: ['lr-sweep lr=0.1 seed=0', 'lr-sweep lr=0.1 seed=1'] },
      { path: 'seed', values: [0, 1] },
    ]);
    expect(Object.keys(json.metrics)).toEqual(['1', '2']);
  });

  it('export: CSV per run, grouped mean ± std in Markdown and LaTeX, JSON, long-format series', () => {
    const csv = parseCsv(kerv('export', '--group', '1', '--columns', 'id,optimizer.lr,seed,bestValidationAccuracy,testAccuracy').out);
    expect(csv[0]).toEqual(['run', 'optimizer.lr', 'seed', 'best val acc', 'test acc']);
    expect(csv.slice(1).map((r) => [r[0], r[1], r[2]])).toEqual([
      ['1', '0.1', '0'],
      ['2', '0.1', '1'],
      ['3', '0.02', '0'],
      ['4', '0.02', '1'],
    ]);
    const tests = csv.slice(1).map((r) => Number(r[4]));

    const json = JSON.parse(kerv('export', '--group', '1', '--group-by', 'optimizer.lr', '--columns', 'testAccuracy', '--format', 'json').out);
    expect(json.rows.map((r: { 'optimizer.lr': number; n: number }) => [r['optimizer.lr'], r.n])).toEqual([
      [0.1, 2],
      [0.02, 2],
    ]);
    const mean = (a: number, b: number) => (a + b) / 2;
    const std = (a: number, b: number) => Math.abs(a - b) / Math.SQRT2;
    expect(json.rows[0].testAccuracy.mean).toBeCloseTo(mean(tests[0], tests[1]), 10);
    expect(json.rows[0].testAccuracy.std).toBeCloseTo(std(tests[0], tests[1]), 10);
    expect(json.rows[1].testAccuracy.mean).toBeCloseTo(mean(tests[2], tests[3]), 10);

    const md = kerv('export', '--group', '1', '--group-by', 'config', '--columns', 'testAccuracy', '--format', 'md').out.trim().split('\n');
    expect(md[0]).toBe('| optimizer.lr | test acc | n |');
    expect(md[2]).toBe(`| 0.1 | ${mean(tests[0], tests[1]).toFixed(4)} ± ${std(tests[0], tests[1]).toFixed(4)} | 2 |`);

    const tex = kerv('export', '--runs', '1-2', '--columns', 'name,model.kernel.type,testAccuracy', '--format', 'latex').out;
    expect(tex).toContain('\\toprule');
    expect(tex).toContain('\\bottomrule');
    expect(tex).toContain('model.kernel.type');

    const out = join(root, 'series.csv');
    expect(kerv('export', '--series', '--runs', '1', '--out', out).code).toBe(0);
    const series = parseCsv(readFileSync(out, 'utf8'));
    expect(series[0]).toEqual(['run_id', 'run_name', 'step', 'epoch', 'wall_time_ms', 'metric', 'value']);
    const lossSteps = series.filter((r) => r[5] === 'loss').map((r) => Number(r[2]));
    expect(lossSteps).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(series.some((r) => r[5] === 'val_accuracy')).toBe(true);

    // The same series as JSON: each run's config, its step columns and epochs.
    const seriesJson = JSON.parse(kerv('export', '--series', '--runs', '1,2', '--format', 'json').out) as {
      format: string;
      runs: { id: number; config: { optimizer: { lr: number } }; steps: { step: number[]; loss: number[] }; epochs: { epoch: number; validationAccuracy: number }[] }[];
    };
    expect(seriesJson.format).toBe('kerv-series');
    expect(seriesJson.runs.map((r) => [r.id, r.config.optimizer.lr, r.steps.step, r.epochs.map((e) => e.epoch)])).toEqual([
      [1, 0.1, [1, 2, 3, 4, 5, 6, 7, 8], [1]],
      [2, 0.1, [1, 2, 3, 4, 5, 6, 7, 8], [1]],
    ]);
    expect(seriesJson.runs[0].steps.loss.map(String)).toEqual(series.filter((r) => r[5] === 'loss').map((r) => String(Number(r[6]))));
    expect(kerv('export', '--series', '--format', 'md').err).toContain("--series: --format must be csv or json, got 'md'");
  });

  it('export --model writes the trained model in the TensorFlow.js layers format, which tfjs loads and predicts with', async () => {
    const file = join(root, 'models', 'run-1.json');
    const r = kerv('export', '--model', '1', '--out', file);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/^Wrote .*run-1\.json and .*run-1\.weights\.bin: run 1's last epoch \(1\), for tf\.loadLayersModel\.$/m);
    const tf = await import('@tensorflow/tfjs');
    const model = await tf.loadLayersModel(fileHandler(file));
    const prediction = model.predict(tf.zeros([2, 28, 28, 1])) as import('@tensorflow/tfjs').Tensor;
    expect(prediction.shape).toEqual([2, 10]);
    // The weights are the run's final checkpoint's, byte for byte.
    const checkpoint = join(dataDir, 'runs', '1', 'checkpoint');
    const [final] = readdirSync(checkpoint).filter((n) => n.startsWith('step-')).sort().reverse();
    expect(readFileSync(file.replace(/\.json$/, '.weights.bin')).equals(readFileSync(join(checkpoint, final, 'weights.bin')))).toBe(true);
    tf.dispose([prediction]);
    model.dispose();

    const noBest = kerv('export', '--model', '1', '--best', '--out', file);
    expect(noBest.code).toBe(1);
    expect(noBest.err).toContain('Run 1 kept no best-epoch weights: only a run trained with early stopping has them.');
    expect(kerv('export', '--model', '1').err).toContain('--model needs --out FILE.json');
  });

  it('a run bundle exports to one file and imports into another data folder', () => {
    const file = join(root, 'run2.kervrun');
    expect(kerv('runs', 'export', '2', '--out', file).code).toBe(0);
    const original = JSON.parse(kerv('runs', 'show', '2', '--json').out);
    const otherDir = join(root, 'other');
    const imported = spawnSync(process.execPath, [KERV, 'runs', 'import', file, '--data-dir', otherDir], { encoding: 'utf8' });
    expect(imported.stdout).toContain('Imported 1 run: 1.');
    const copy = JSON.parse(spawnSync(process.execPath, [KERV, 'runs', 'show', '1', '--json', '--data-dir', otherDir], { encoding: 'utf8' }).stdout);
    expect(copy.run.config).toEqual(original.run.config);
    expect(copy.run.configHash).toBe(original.run.configHash);
    expect(copy.run.testAccuracy).toBe(original.run.testAccuracy);
    expect(copy.run.environment).toEqual(original.run.environment);
    expect(copy.epochs).toEqual(original.epochs);
    expect(existsSync(join(otherDir, 'runs', '1', 'checkpoint'))).toBe(true);
  });

  it('rm deletes; a run or group not found, or an action the state forbids, exits 1 with the reason', () => {
    expect(kerv('runs', 'rm', '4').out).toContain('Deleted 1 run: 4.');
    expect(JSON.parse(kerv('runs', 'list', '--json').out).total).toBe(3);

    const cases: [string[], string][] = [
      [['runs', 'show', '99999'], 'kerv: Run 99999 not found.\n'],
      [['runs', 'rm', '4'], 'kerv: Run 4 not found.\n'],
      [['runs', 'resume', '1'], 'kerv: Run 1 is completed; only failed, cancelled or interrupted runs can be resumed.\n'],
      [['compare', '1', '99'], 'kerv: Run 99 not found.\n'],
      [['export', '--group', '7'], 'kerv: Group 7 not found.\n'],
    ];
    for (const [args, message] of cases) {
      const r = kerv(...args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.err, args.join(' ')).toBe(message);
    }
    // Nothing was changed by the refused resume.
    expect(JSON.parse(kerv('runs', 'show', '1', '--json').out).run.status).toBe('completed');
  });

  it('unknown fields, values and flags are usage errors (exit 2) naming the field', () => {
    const cases: [string[], RegExp][] = [
      [['runs', 'frobnicate'], /unknown subcommand 'frobnicate'/],
      [['runs', 'list', '--status', 'done'], /--status: 'done' is not a status/],
      [['compare', '1'], /at least two run ids/],
      [['export', '--columns', 'bestValAcc'], /Unknown column\(s\) 'bestValAcc'/],
      [['export', '--format', 'xlsx'], /--format: 'xlsx' is not a format/],
      [['export', '--runs', 'one'], /--runs: 'one' is not a run id/],
      [['sweep', '--grid', 'model.kernal.type=linear', '--dry-run'], /model\.kernal\.type: not a run config field/],
      [['sweep', '--grid', 'model.kernel.type=linear,quadratic', '--dry-run'], /type=quadratic.*must be a kernel spec|quadratic/],
      [['sweep', '--grid', 'epochs=1', '--epochz', '2'], /epochz/],
      [['sweep', '--grid', 'optimizer.lr=0.1,0.01', '--epochs', '3', '--asha-min-epochs', '3', '--dry-run'], /asha\.minEpochs: must be below the runs' epochs \(3\)/],
      [['sweep', '--grid', 'optimizer.lr=0.1,0.01', '--asha-eta', '3', '--dry-run'], /--asha-eta and --asha-metric need --asha-min-epochs/],
      [['datasets', 'download', 'imagenet'], /Unknown dataset 'imagenet'; expected one of mnist, fashion-mnist, cifar10/],
    ];
    for (const [args, message] of cases) {
      const r = kerv(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err, args.join(' ')).toMatch(message);
    }
  });

  it('every command has --help', () => {
    for (const name of ['runs', 'sweep', 'compare', 'export', 'datasets']) {
      const r = kerv(name, '--help');
      expect(r.code).toBe(0);
      expect(r.out).toMatch(new RegExp(`^Usage: kerv ${name}`));
    }
  });

  it('sweep --asha-min-epochs stops the runs below the rung’s cutoff there and says so (its own data folder)', () => {
    const own = join(root, 'asha');
    const tiny = TINY.map((arg, i) => (TINY[i - 1] === '--epochs' ? '3' : arg));
    // With one run at a time the order is the grid's: a rate that learns first, then one too small to.
    const r = kerv('sweep', ...tiny, '--grid', 'optimizer.lr=0.01,1e-7', '--asha-min-epochs', '1', '--data-dir', own);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/run 1: epoch 3\/3 /);
    expect(r.out).toMatch(/run 2: completed best val \d+\.\d+%, test \d+\.\d+%\. Stopped by ASHA at epoch 1 of 3 \(validation accuracy \d+\.\d\d% below the rung's cutoff \d+\.\d\d%; only the top 1\/3 of the sweep's runs go on\)\./);
    expect(r.out).not.toMatch(/run 2: epoch 2/);
  });

  it('datasets list shows Fashion-MNIST from the system folder', () => {
    const r = kerv('datasets', 'list');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/fashion-mnist\s+yes\s+[\d.]+ MB\s+\/usr\/share\/datasets/);
  });
});
