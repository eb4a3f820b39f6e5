// The pure functions under the analysis views: run colours, compare charts,
// predictions across runs, confusion differences, diagnostics grouping, live
// duration, split naming, chart settings and axis formatting.
import { describe, expect, it } from 'vitest';
import { colorDistance, runColor, runColors } from '../../../src-renderer/src/lib/colors';
import { compareOption, confusionDifference, lastCommonEpoch, predictionRows } from '../../../src-renderer/src/lib/compare';
import { appendScalars, diagnosticCharts, diagnosticOption } from '../../../src-renderer/src/lib/diagnostics';
import { curveOption, formatX, lineSymbol, TRAIN_COLOR, VALIDATION_COLOR } from '../../../src-renderer/src/lib/curves';
import { emptySeries, liveDurationMs } from '../../../src-renderer/src/lib/progress';
import { evaluationSplit } from '../../../src-renderer/src/lib/samples';
import { renderConfigDiff } from '../../../src-renderer/src/lib/config-diff';
import { cpuPercent } from '../../../src-main/service/worker/system-sampler';
import { checkpointPosition } from '../../../src-main/engine/train/checkpoint-folders';
import type { EpochMetrics, SampleImage } from '../../../src-main/shared/progress';

function steps(n: number) {
  const s = emptySeries();
  for (let i = 1; i <= n; i++) {
    s.step.push(i);
    s.epoch.push(Math.ceil(i / 10));
    s.loss.push(1 / i);
    s.accuracy.push(i / n);
    s.learningRate.push(0.1);
    s.imagesPerSecond.push(100);
    s.wallTimeMs.push(i * 532.5265);
  }
  return s;
}

const epoch = (n: number, predictions: [number, number][] = [], confusion: number[][] = []) =>
  ({ epoch: n, step: n * 10, validationLoss: 0.5, validationAccuracy: 0.8, samplePredictions: predictions.map(([sampleIndex, classIndex]) => ({ sampleIndex, loss: 0, top: [{ classIndex, probability: 0.9 }] })), confusion }) as unknown as EpochMetrics;

describe('run colours', () => {
  it('stay distinct for 32 runs and stable per position', () => {
    const colours = Array.from({ length: 32 }, (_, i) => runColor(i));
    expect(new Set(colours).size).toBe(32);
    for (let i = 0; i < 32; i++) for (let j = i + 1; j < 32; j++) expect(colorDistance(colours[i], colours[j])).toBeGreaterThan(45);
    expect(runColors([7, 3, 9]).get(3)).toBe(runColor(1));
  });
});

describe('compare charts', () => {
  it('draw one series per visible run in its colour, with no in-chart legend and a zoom slider', () => {
    const inputs = [1, 2, 3].map((id) => ({ id, label: `#${id}`, color: runColor(id), steps: steps(30), epochs: [epoch(1), epoch(2)] }));
    const option = compareOption(inputs, 'trainLoss', { smoothing: 0.5, logScale: false, xAxis: 'step' }) as { series: { lineStyle: { color: string } }[]; legend?: unknown; dataZoom: { type: string }[] };
    expect(option.series.map((s) => s.lineStyle.color)).toEqual([runColor(1), runColor(2), runColor(3)]);
    expect(option.legend).toBeUndefined();
    expect(option.dataZoom.map((d) => d.type)).toEqual(['inside', 'slider']);
    const validation = compareOption(inputs, 'validationAccuracy', { smoothing: 0, logScale: false, xAxis: 'epoch' }) as { series: { data: number[][] }[] };
    expect(validation.series[0].data).toEqual([[1, 0.8], [2, 0.8]]);
  });
});

describe('predictions across runs', () => {
  const images = [0, 1, 2].map((i) => ({ sampleIndex: i, datasetIndex: i, label: i, pngBase64: '' })) as SampleImage[];
  it('marks the samples some runs get right and others wrong', () => {
    const rows = predictionRows(images, [
      epoch(1, [[0, 0], [1, 1], [2, 5]]).samplePredictions,
      epoch(1, [[0, 0], [1, 7], [2, 6]]).samplePredictions,
      null,
    ]);
    expect(rows.map((r) => r.flip)).toEqual([false, true, false]);
    expect(rows[1].predicted).toEqual([1, 7, null]);
  });
  it('finds the last epoch every run has predictions for', () => {
    expect(lastCommonEpoch([[epoch(1, [[0, 0]]), epoch(2, [[0, 0]]), epoch(3, [[0, 0]])], [epoch(1, [[0, 0]]), epoch(2, [[0, 0]])]])).toBe(2);
    expect(lastCommonEpoch([[epoch(1, [[0, 0]])], [epoch(2, [[0, 0]])]])).toBeNull();
  });
  it('subtracts confusion matrices as rates of each true class', () => {
    const a = [[8, 2], [0, 10]];
    const b = [[40, 60], [5, 45]];
    const diff = confusionDifference(a, b);
    expect(diff[0][0]).toBeCloseTo(-0.4);
    expect(diff[0][1]).toBeCloseTo(0.4);
    expect(diff[1][0]).toBeCloseTo(0.1);
    expect(() => confusionDifference(a, [[1]])).toThrow(/2 and 1 classes/);
  });
});

describe('diagnostics', () => {
  it('group series into charts by family, kernel parameters by parameter with a line per layer', () => {
    const groups = diagnosticCharts(['system/rss_mb', 'kernel/kerv2/gamma', 'grad_norm/kerv1', 'kernel/kerv1/gamma', 'activation/kerv1/std', 'activation/kerv1/mean', 'custom/x', 'system/cpu_percent']);
    expect(groups.map((g) => g.family)).toEqual(['kernel', 'grad_norm', 'activation', 'system', 'custom']);
    expect(groups[0].charts).toEqual([{ key: 'kernel/gamma', family: 'kernel', title: 'Kernel gamma', lines: [{ name: 'kernel/kerv1/gamma', label: 'kerv1' }, { name: 'kernel/kerv2/gamma', label: 'kerv2' }] }]);
    expect(groups[2].charts.map((c) => c.key)).toEqual(['activation/mean', 'activation/std']);
    expect(groups[3].charts.map((c) => c.title)).toEqual(['CPU (% of one core)', 'Memory (RSS, MB)']);
  });
  it('append pushed samples, replacing a re-sent step', () => {
    let s = appendScalars({}, [{ step: 1, wallTimeMs: 10, values: { a: 1 } }]);
    s = appendScalars(s, [{ step: 1, wallTimeMs: 11, values: { a: 2, b: 5 } }, { step: 2, wallTimeMs: 20, values: { a: 3 } }]);
    expect(s.a).toEqual({ step: [1, 2], wallTimeMs: [11, 20], value: [2, 3] });
    expect(s.b.value).toEqual([5]);
  });
  it('draw system readings unsmoothed and map steps to epochs', () => {
    const scalars = { 'system/cpu_percent': { step: [5, 10, 20], wallTimeMs: [1, 2, 3], value: [10, 90, 10] } };
    const [chart] = diagnosticCharts(Object.keys(scalars))[0].charts;
    const option = diagnosticOption(chart, scalars, { smoothing: 0.9, xAxis: 'epoch' }, steps(20)) as { series: { data: number[][] }[] };
    expect(option.series[0].data).toEqual([[0.5, 10], [1, 90], [2, 10]]);
  });
});

describe('bug fixes in chart and run-page helpers', () => {
  it('formats wall-time ticks as durations (bug 6)', () => {
    expect(formatX(0.5325265050000003, 'wall')).toBe('0.5s');
    expect(formatX(125, 'wall')).toBe('2m 05s');
    expect(formatX(1.5, 'epoch')).toBe('1.5');
  });
  it('shows a symbol for a single point, and gives train and validation their own colours (bug 10)', () => {
    expect(lineSymbol(1).showSymbol).toBe(true);
    expect(lineSymbol(2).showSymbol).toBe(false);
    const option = curveOption([{ label: 'a', steps: steps(1), epochs: [epoch(1)] }], 'accuracy', { smoothing: 0, logScale: false, xAxis: 'step' }) as {
      series: { name: string; showSymbol?: boolean; lineStyle: { color: string } }[];
    };
    expect(option.series.find((s) => s.name === 'train')).toMatchObject({ showSymbol: true, lineStyle: { color: TRAIN_COLOR } });
    expect(option.series.find((s) => s.name === 'validation')?.lineStyle.color).toBe(VALIDATION_COLOR);
    expect(TRAIN_COLOR).not.toBe(VALIDATION_COLOR);
  });
  it('keeps the duration live while running (bug 5)', () => {
    expect(liveDurationMs('running', null, steps(3))).toBeCloseTo(3 * 532.5265);
    expect(liveDurationMs('running', 5000, steps(3))).toBe(5000);
    expect(liveDurationMs('completed', 1200, steps(3))).toBe(1200);
  });
  it('names the test split when nothing is held out (bug 4)', () => {
    expect(evaluationSplit(0, 0.1)).toBe('test');
    expect(evaluationSplit(600, 0)).toBe('validation');
    expect(evaluationSplit(null, 0)).toBe('test');
    expect(evaluationSplit(undefined, 0.1)).toBe('validation');
  });
  it('speaks 1-based epochs about checkpoints (bug 10)', () => {
    expect(checkpointPosition({ epoch: 0, partial: true })).toBe('in epoch 1');
    expect(checkpointPosition({ epoch: 2, partial: false })).toBe('end of epoch 2');
  });
  it('shows a field a run lacks as absent in the config diff', () => {
    expect(renderConfigDiff([{ path: 'model.kernel.d', values: [null, 3] }])[0].cells.map((c) => c.text)).toEqual(['—', '3']);
  });
  it('measures CPU as a share of one core', () => {
    expect(cpuPercent({ user: 0, system: 0, atMs: 0 }, { user: 1_500_000, system: 500_000, atMs: 1000 })).toBe(200);
    expect(cpuPercent({ user: 0, system: 0, atMs: 5 }, { user: 10, system: 0, atMs: 5 })).toBe(0);
  });
});

describe('runs table filters, columns and views', async () => {
  const { parseFilter, availableFields, parseViews, cellText } = await import('../../../src-renderer/src/lib/run-table');
  const { defaultRunConfig } = await import('../../../src-main/shared/run-config');
  const { parseChartSettings } = await import('../../../src-renderer/src/lib/chart-settings');
  const fields = availableFields([]);
  it('parses what people type: labels, config paths, suffixes, ≥, percentages, quotes', () => {
    expect(parseFilter('best val acc > 0.85, kernel = gaussian; epochs ≥ 5 and lr <= 1e-2', fields)).toEqual([
      { field: 'bestValidationAccuracy', op: '>', value: 0.85 },
      { field: 'kernel', op: '=', value: 'gaussian' },
      { field: 'config.epochs', op: '>=', value: 5 },
      { field: 'config.optimizer.lr', op: '<=', value: 0.01 },
    ]);
    expect(parseFilter('test acc ≥ 85%, tag != "baseline", name = a b', fields)).toEqual([
      { field: 'testAccuracy', op: '>=', value: 0.85 },
      { field: 'tag', op: '!=', value: 'baseline' },
      { field: 'name', op: '=', value: 'a b' },
    ]);
    expect(parseFilter('  ', fields)).toEqual([]);
  });
  it('says which condition is wrong and why', () => {
    expect(() => parseFilter('best val acc high', fields)).toThrow(/'best val acc high': expected field, operator and value/);
    expect(() => parseFilter('best val acc > high', fields)).toThrow(/Best val acc is a number/);
    expect(() => parseFilter('colour = red', fields)).toThrow(/Unknown field 'colour'/);
    expect(() => parseFilter('epochs >', fields)).toThrow(/value is missing/);
    expect(() => parseFilter('best val acc > 180', fields)).toThrow(/Best val acc is a percentage/);
  });
  it('reads an accuracy above 1 as a percentage, as the table shows it (issue 22)', () => {
    expect(parseFilter('best val acc > 80, test acc <= 92.5, final val acc > 0.5', fields)).toEqual([
      { field: 'bestValidationAccuracy', op: '>', value: 0.8 },
      { field: 'testAccuracy', op: '<=', value: 0.925 },
      { field: 'summary.finalValidationAccuracy', op: '>', value: 0.5 },
    ]);
    // Other numbers stay as typed.
    expect(parseFilter('epochs > 80', fields)).toEqual([{ field: 'config.epochs', op: '>', value: 80 }]);
  });
  it('offers every config field before any run has it: kernel parameters, subsets, early stopping (issue 22)', () => {
    const keys = fields.map((f) => f.key);
    for (const key of ['config.model.kernel.c', 'config.model.kernel.d', 'config.model.kernel.gamma', 'config.model.kernel.learnable', 'config.dataset.trainSubset', 'config.dataset.testSubset']) expect(keys).toContain(key);
    expect(fields.find((f) => f.key === 'config.dataset.trainSubset')!.type).toBe('number');
    expect(keys).not.toContain('config.name');
  });
  it('reads saved views defensively and chart settings field by field', () => {
    expect(parseViews('[{"name":"a","columns":["id"],"filter":"","sortBy":"id","sortDir":"asc"},{"name":1}]').map((v) => v.name)).toEqual(['a']);
    expect(parseViews('not json')).toEqual([]);
    expect(parseChartSettings('{"smoothing":0.9,"logScale":"yes","xAxis":"wall"}')).toEqual({ smoothing: 0.9, logScale: false, xAxis: 'wall' });
    expect(parseChartSettings(null).xAxis).toBe('step');
  });
  it('formats cells in their units', () => {
    const row = { id: 3, tags: ['a', 'b'], bestValidationAccuracy: 0.8512, durationMs: 75_000, config: defaultRunConfig(), summary: null } as never;
    expect(cellText(row, 'bestValidationAccuracy')).toBe('85.12%');
    expect(cellText(row, 'durationMs')).toBe('1m 15s');
    expect(cellText(row, 'tag')).toBe('a, b');
    expect(cellText(row, 'config.optimizer.lr')).toBe(String(defaultRunConfig().optimizer.lr));
    expect(cellText(row, 'summary.testLoss')).toBe('—');
  });
});

describe('hyperparameter views', async () => {
  const { varyingFields, metricAxes, parallelOption } = await import('../../../src-renderer/src/lib/hyperparams');
  const { parseRunConfig } = await import('../../../src-main/shared/run-config');
  const row = (id: number, config: object, best: number) => ({ id, name: `r${id}`, bestValidationAccuracy: best, testAccuracy: 0.5, durationMs: 1, config: parseRunConfig({ ...config, seed: id }), summary: null }) as never;
  const rows = [
    row(1, { model: { kernel: { type: 'polynomial' } }, optimizer: { lr: 0.01 } }, 0.7),
    row(2, { model: { kernel: { type: 'gaussian' } }, optimizer: { lr: 0.3 } }, 0.8),
    row(3, { model: { kernel: { type: 'linear' } }, optimizer: { lr: 0.1 } }, 0.75),
  ];
  it('draws axes for the config fields that vary (not name, seed or constant kernel defaults) and the metrics that vary', () => {
    const fields = varyingFields(rows);
    expect(fields.map((f) => [f.key, f.kind])).toEqual([
      ['config.model.kernel.type', 'category'],
      ['config.optimizer.lr', 'log'],
    ]);
    expect(metricAxes(rows).map((m) => m.key)).toEqual(['bestValidationAccuracy']);
  });
  it('puts one line per run through the axes, coloured by the chosen metric', () => {
    const axes = [...varyingFields(rows), ...metricAxes(rows)];
    const option = parallelOption(rows, axes, 'bestValidationAccuracy') as { series: { data: unknown[][] }[]; visualMap: { dimension: number; min: number; max: number } };
    expect(option.series[0].data).toEqual([
      ['polynomial', 0.01, 0.7],
      ['gaussian', 0.3, 0.8],
      ['linear', 0.1, 0.75],
    ]);
    expect(option.visualMap).toMatchObject({ dimension: 2, min: 0.7, max: 0.8 });
  });
});
