// Formatting, the new-run form's field mapping, samples, routes and groups.
import { describe, expect, it } from 'vitest';
import { formatDuration, formatMeanStd, formatPercent, formatNumber, formatCount, formatShape } from '../../../src-main/shared/format';
import { issuesByField } from '../../../src-renderer/src/lib/config-paths';
import { flattenConfig, getPath, setPath } from '../../../src-main/shared/config-paths';
import { FIELD_PATHS, defaultKernel, fromInputText, parseSweepValues, sweepRunCount, SWEEPABLE_FIELDS, ALL_FIELDS } from '../../../src-renderer/src/lib/config-fields';
import { renderConfigDiff } from '../../../src-renderer/src/lib/config-diff';
import { aggregate } from '../../../src-main/shared/table-format';
import { joinSamples, sortSamples, samplesInCell, epochAt } from '../../../src-renderer/src/lib/samples';
import { parseRoute, routeHash, type Route } from '../../../src-renderer/src/lib/routes';
import { groupRuns } from '../../../src-renderer/src/lib/grouping';
import { experimentHash } from '../../../src-main/store/experiment-hash';
import { defaultRunConfig, runConfigSchema } from '../../../src-main/shared/run-config';

describe('formatting', () => {
  it('renders durations, percentages and counts the way the tables show them', () => {
    expect(formatDuration(75_000)).toBe('1m 15s');
    expect(formatDuration(3_723_000)).toBe('1h 02m');
    expect(formatDuration(2_500)).toBe('2.5s');
    expect(formatDuration(null)).toBe('—');
    expect(formatPercent(0.91234)).toBe('91.23%');
    expect(formatPercent(null)).toBe('—');
    expect(formatNumber(0.000012346)).toBe('1.235e-5');
    expect(formatNumber(0.123456)).toBe('0.1235');
    expect(formatCount(1234567)).toBe('1.23M');
    expect(formatCount(61706)).toBe('61,706');
    expect(formatShape([null, 28, 28, 6])).toBe('(N, 28, 28, 6)');
  });
  it('reports mean ± sample std for repeated seeds', () => {
    const s = aggregate([0.9, 0.92, null, 0.94]);
    expect(s).toMatchObject({ n: 3 });
    expect(s!.mean).toBeCloseTo(0.92);
    expect(s!.std).toBeCloseTo(0.02);
    expect(formatMeanStd(s)).toBe('92.00 ± 2.00');
    expect(formatMeanStd(aggregate([0.5]))).toBe('50.00');
    expect(aggregate([null])).toBeNull();
  });
});

describe('the new-run form', () => {
  it('covers every field of the run-config schema', () => {
    const schemaPaths = Object.keys(flattenConfig(defaultRunConfig()));
    // Kernel parameters appear per kernel type; name and optional dataset fields have no default.
    for (const path of schemaPaths) {
      if (path.startsWith('model.kernel')) continue;
      expect(FIELD_PATHS, path).toContain(path);
    }
    for (const path of ['name', 'dataset.path', 'dataset.trainSubset', 'dataset.testSubset', 'model.kernel.type', 'model.kernel.c', 'model.kernel.d', 'model.kernel.gamma', 'model.kernel.learnable']) {
      expect(FIELD_PATHS).toContain(path);
    }
    expect(new Set(FIELD_PATHS).size).toBe(FIELD_PATHS.length);
  });
  it('shows only the chosen kernel\'s parameters, with their schema defaults', () => {
    const withKernel = (type: string) => ({ model: { kernel: defaultKernel(type as never) } });
    const visible = (config: Record<string, unknown>) => ALL_FIELDS.filter((f) => f.path.startsWith('model.kernel.') && (!f.when || f.when(config))).map((f) => f.path);
    expect(visible(withKernel('polynomial'))).toEqual(['model.kernel.type', 'model.kernel.c', 'model.kernel.d', 'model.kernel.learnable']);
    expect(visible(withKernel('gaussian'))).toEqual(['model.kernel.type', 'model.kernel.gamma', 'model.kernel.learnable']);
    expect(visible(withKernel('linear'))).toEqual(['model.kernel.type']);
    expect(defaultKernel('polynomial')).toEqual({ type: 'polynomial', c: 1, d: 3, learnable: false });
  });
  it('turns typed text into config values, passing unparseable text on for the service to name', () => {
    expect(fromInputText('number', ' 0.1 ')).toBe(0.1);
    expect(fromInputText('integer', 'abc')).toBe('abc');
    expect(fromInputText('optional-integer', '')).toBeUndefined();
    expect(fromInputText('nullable-number', '')).toBeNull();
    expect(fromInputText('auto-integer', '')).toBe('auto');
    expect(fromInputText('auto-integer', ' 4 ')).toBe(4);
    expect(fromInputText('integer-list', '30, 60')).toEqual([30, 60]);
    expect(fromInputText('kerv-layers', 'all')).toBe('all');
    expect(fromInputText('kerv-layers', '2')).toBe(2);
    expect(fromInputText('kerv-layers', '0, 2')).toEqual([0, 2]);
    const parsed = runConfigSchema.safeParse({ epochs: fromInputText('integer', 'abc') });
    expect(parsed.success).toBe(false);
  });
  it('sizes a sweep as grid × repeats (or draws × repeats)', () => {
    const lr = SWEEPABLE_FIELDS.find((f) => f.path === 'optimizer.lr')!;
    const kernel = SWEEPABLE_FIELDS.find((f) => f.path === 'model.kernel.type')!;
    expect(parseSweepValues(lr, '0.1, 0.01,')).toEqual([0.1, 0.01]);
    expect(parseSweepValues(kernel, 'linear, polynomial')).toEqual(['linear', 'polynomial']);
    expect(sweepRunCount({ a: [1, 2], b: [1, 2, 3] }, 3)).toBe(18);
    expect(sweepRunCount({ a: [1, 2], b: [1, 2, 3] }, 2, 4)).toBe(8);
  });
  it('puts validation issues next to their field, and unknown ones aside', () => {
    const { byField, other } = issuesByField(
      [
        { path: 'optimizer.lr', message: 'too big' },
        { path: 'model.kernel', message: 'must be a kernel spec' },
        { path: 'mystery', message: 'unknown field(s) "mystery"' },
      ],
      FIELD_PATHS,
    );
    expect(byField['optimizer.lr']).toEqual(['too big']);
    expect(byField['model.kernel.type']).toEqual(['must be a kernel spec']);
    expect(other).toEqual([{ path: 'mystery', message: 'unknown field(s) "mystery"' }]);
  });
  it('reads and writes dotted paths without mutating', () => {
    const config = { optimizer: { lr: 0.1 } };
    const next = setPath(config, 'optimizer.lr', 0.5);
    expect(getPath(next, 'optimizer.lr')).toBe(0.5);
    expect(config.optimizer.lr).toBe(0.1);
    expect(flattenConfig({ a: { b: 1, c: [1, 2] } })).toEqual({ 'a.b': 1, 'a.c': [1, 2] });
    expect(getPath(setPath({}, 'x.y', 1), 'x')).toEqual({ y: 1 });
  });
});

describe('config diff', () => {
  it('marks the cells that differ from the first run and puts name and seed last', () => {
    const rows = renderConfigDiff([
      { path: 'seed', values: [0, 1] },
      { path: 'optimizer.lr', values: [0.1, 0.01] },
      { path: 'model.kernel', values: [{ type: 'linear' }, { type: 'linear' }] },
    ]);
    expect(rows.map((r) => r.path)).toEqual(['model.kernel', 'optimizer.lr', 'seed']);
    expect(rows[1].cells).toEqual([
      { text: '0.1', differs: false },
      { text: '0.01', differs: true },
    ]);
    expect(rows[0].cells[1]).toEqual({ text: '{"type":"linear"}', differs: false });
  });
});

describe('samples', () => {
  const images = [0, 1, 2].map((i) => ({ sampleIndex: i, datasetIndex: 10 + i, label: i, pngBase64: 'x' }));
  const predictions = [
    { sampleIndex: 0, top: [{ classIndex: 0, probability: 0.9 }], loss: 0.1 },
    { sampleIndex: 1, top: [{ classIndex: 2, probability: 0.6 }], loss: 2.3 },
    { sampleIndex: 2, top: [{ classIndex: 2, probability: 0.5 }], loss: 0.7 },
  ];
  it('marks wrong predictions and sorts by confidence or loss', () => {
    const views = joinSamples(images, predictions);
    expect(views.map((v) => v.wrong)).toEqual([false, true, false]);
    expect(sortSamples(views, 'confidence').map((v) => v.sampleIndex)).toEqual([2, 1, 0]);
    expect(sortSamples(views, 'loss').map((v) => v.sampleIndex)).toEqual([1, 2, 0]);
    expect(joinSamples(images, undefined).every((v) => v.prediction === null && !v.wrong)).toBe(true);
  });
  it('finds the images of a confusion-matrix cell', () => {
    const views = joinSamples(images, predictions);
    expect(samplesInCell(views, 1, 2).map((v) => v.sampleIndex)).toEqual([1]);
    expect(samplesInCell(views, 2, 2).map((v) => v.sampleIndex)).toEqual([2]);
    expect(samplesInCell(views, 0, 1)).toEqual([]);
  });
  it('picks the epoch of the slider, or the latest', () => {
    const epochs = [{ epoch: 1 }, { epoch: 2 }] as never[];
    expect(epochAt(epochs, null)).toEqual({ epoch: 2 });
    expect(epochAt(epochs, 1)).toEqual({ epoch: 1 });
    expect(epochAt([], 1)).toBeNull();
  });
});

describe('routes and groups', () => {
  it('round-trips every screen through the hash', () => {
    const routes: Route[] = [
      { name: 'new', cloneFrom: null },
      { name: 'new', cloneFrom: 4 },
      { name: 'runs' },
      { name: 'run', id: 12 },
      { name: 'compare', ids: [1, 2] },
      { name: 'export', ids: [3] },
      { name: 'settings' },
    ];
    for (const route of routes) {
      expect(parseRoute(routeHash(route))).toEqual(route);
    }
    expect(parseRoute('#/runs/abc')).toEqual({ name: 'runs' });
    expect(parseRoute('#/compare?ids=1,x,-2,3')).toEqual({ name: 'compare', ids: [1, 3] });
    expect(parseRoute('')).toEqual({ name: 'runs' });
  });
  it('groups runs by their stored experiment hash (name and seed ignored), with the spread of their best accuracy', () => {
    const config = (seed: number, lr: number, name: string) => ({ ...defaultRunConfig(), name, seed, optimizer: { ...defaultRunConfig().optimizer, lr } });
    // The hash the store writes for every run: equal up to name and seed.
    expect(experimentHash(config(0, 0.1, 'a'))).toBe(experimentHash(config(5, 0.1, 'b')));
    expect(experimentHash(config(0, 0.1, 'a'))).not.toBe(experimentHash(config(0, 0.2, 'a')));
    const row = (id: number, acc: number, c: ReturnType<typeof config>) => ({ id, bestValidationAccuracy: acc, experimentHash: experimentHash(c) }) as never;
    const groups = groupRuns([row(1, 0.8, config(0, 0.1, 'x')), row(2, 0.5, config(0, 0.2, 'x')), row(3, 0.9, config(1, 0.1, 'y')), row(4, 0.1, config(0, 0.3, 'z'))]);
    expect(groups.map((g) => g.rows.map((r) => r.id))).toEqual([[1, 3], [2], [4]]);
    expect(groups[0].bestValidation!.mean).toBeCloseTo(0.85);
  });

  it('labels groups that would read alike by the fewest fields that tell them apart (issue 22 bug 5)', () => {
    const base = defaultRunConfig();
    const config = (lr: number, type: 'sgd' | 'adam', epochs = 10) => ({ ...base, epochs, optimizer: { ...base.optimizer, type, lr } });
    const row = (id: number, c: ReturnType<typeof config>, kernel = 'gaussian') =>
      ({ id, arch: 'lenet5', kernel, dataset: 'fashion-mnist', config: c, configHash: `${id}`, experimentHash: experimentHash(c), bestValidationAccuracy: 0.8 }) as never;
    // lr and the optimizer vary together: lr alone tells the three apart; the linear run reads alike with no other.
    const groups = groupRuns([row(1, config(0.01, 'sgd')), row(2, config(0.1, 'adam')), row(3, config(0.3, 'adam')), row(4, config(0.5, 'adam', 3), 'linear')]);
    expect(groups.map((g) => g.label)).toEqual([
      'lenet5 · gaussian · fashion-mnist · optimizer.lr=0.01',
      'lenet5 · gaussian · fashion-mnist · optimizer.lr=0.1',
      'lenet5 · gaussian · fashion-mnist · optimizer.lr=0.3',
      'lenet5 · linear · fashion-mnist',
    ]);
  });
});
