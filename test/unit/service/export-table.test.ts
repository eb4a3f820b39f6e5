import { describe, expect, it } from 'vitest';
import { buildExportTable, exportColumns, type ExportRun } from '../../../src-main/service/export-table';
import { parseRunConfig, type RunConfigInput } from '../../../src-main/shared/run-config';
import { formatCsv, formatMarkdown, isAggregate, parseCsv, type Aggregate } from '../../../src-main/shared/table-format';

let nextId = 1;
function run(input: RunConfigInput, best: number, test: number, timeMs = 60_000): ExportRun {
  const config = parseRunConfig(input);
  return {
    id: nextId++,
    name: `${config.model.kernel.type}-s${config.seed}`,
    status: 'completed',
    groupId: 1,
    config,
    step: 100,
    durationMs: timeMs,
    bestValidationAccuracy: best,
    testAccuracy: test,
    parameterCount: 61_706,
    summary: null,
    lastEpoch: { epoch: 2, trainLoss: 0.3, trainAccuracy: 0.9, validationLoss: 0.4, validationAccuracy: best - 0.01 },
  };
}

const ablation = [
  run({ model: { kernel: { type: 'linear' } }, seed: 0 }, 0.9, 0.89),
  run({ model: { kernel: { type: 'linear' } }, seed: 1 }, 0.92, 0.9),
  run({ model: { kernel: { type: 'linear' } }, seed: 2 }, 0.94, 0.91),
  run({ model: { kernel: { type: 'polynomial' } }, seed: 0 }, 0.8, 0.79, 90_000),
  run({ model: { kernel: { type: 'polynomial' } }, seed: 1 }, 0.84, 0.83, 90_000),
];

describe('export table', () => {
  it('one row per run with the chosen config fields and metrics', () => {
    const table = buildExportTable(ablation, { columns: ['id', 'model.kernel.type', 'seed', 'bestValidationAccuracy', 'finalValidationAccuracy', 'trainingTimeS'] });
    expect(table.columns.map((c) => c.label)).toEqual(['run', 'model.kernel.type', 'seed', 'best val acc', 'final val acc', 'training time (s)']);
    expect(table.rows[3]).toEqual([ablation[3].id, 'polynomial', 0, 0.8, 0.8 - 0.01, 90]);
  });

  it('groups by kernel ignoring the seed: mean ± sample std and n', () => {
    const table = buildExportTable(ablation, { columns: ['model.kernel.type', 'seed', 'bestValidationAccuracy', 'testAccuracy'], groupBy: ['model.kernel.type'] });
    expect(table.columns.map((c) => c.key)).toEqual(['model.kernel.type', 'bestValidationAccuracy', 'testAccuracy', 'n']);
    expect(table.rows.map((r) => [r[0], r[3]])).toEqual([
      ['linear', 3],
      ['polynomial', 2],
    ]);
    const linear = table.rows[0][1] as Aggregate;
    expect(isAggregate(linear)).toBe(true);
    expect(linear.mean).toBeCloseTo(0.92, 12);
    expect(linear.std).toBeCloseTo(0.02, 12);
    const poly = table.rows[1][1] as Aggregate;
    expect(poly.mean).toBeCloseTo(0.82, 12);
    expect(poly.std).toBeCloseTo(Math.sqrt(0.0008), 12);
    expect(formatMarkdown(table)).toContain('| linear | 0.9200 ± 0.0200 | 0.9000 ± 0.0100 | 3 |');
    const csv = parseCsv(formatCsv(table));
    expect(csv[0]).toEqual(['model.kernel.type', 'best val acc mean', 'best val acc std', 'test acc mean', 'test acc std', 'n']);
  });

  it('counts a run and its copy (same config and seed) as one replicate in the mean, the std and n', () => {
    const copy = { ...ablation[4], id: nextId++ };
    const table = buildExportTable([...ablation, copy], { columns: ['model.kernel.type', 'bestValidationAccuracy'], groupBy: ['model.kernel.type'] });
    expect(table.rows[1][2]).toBe(2);
    expect(table.rows[1][1]).toMatchObject({ mean: expect.closeTo(0.82, 12), std: expect.closeTo(Math.sqrt(0.0008), 12), n: 2, runs: 3 });
  });

  it("group-by 'config' groups runs equal up to the seed and shows the fields that differ", () => {
    const table = buildExportTable(ablation, { columns: ['bestValidationAccuracy', 'model.arch'], groupBy: ['config'] });
    expect(table.columns.map((c) => c.key)).toEqual(['model.kernel.c', 'model.kernel.d', 'model.kernel.learnable', 'model.kernel.type', 'model.arch', 'bestValidationAccuracy', 'n']);
    expect(table.rows.map((r) => [r[3], r[4], r[6]])).toEqual([
      ['linear', 'lenet5', 3],
      ['polynomial', 'lenet5', 2],
    ]);
  });

  it('names unknown columns and group-by fields', () => {
    expect(() => buildExportTable(ablation, { columns: ['bestValAcc'] })).toThrow(/Unknown column\(s\) 'bestValAcc'/);
    expect(() => buildExportTable(ablation, { groupBy: ['model.kernal'] })).toThrow(/Unknown group-by field\(s\) 'model.kernal'/);
  });

  it('lists config paths of every kernel type among the columns', () => {
    const paths = exportColumns().map((c) => c.path);
    expect(paths).toEqual(expect.arrayContaining(['model.kernel.gamma', 'model.kernel.d', 'optimizer.lr', 'testAccuracy', 'id']));
  });

  it('names every column once, so a picked column means one thing', () => {
    const paths = exportColumns().map((c) => c.path);
    const repeated = paths.filter((p, i) => paths.indexOf(p) !== i);
    expect(repeated).toEqual([]);
    // The planned epochs (config) and the epochs a run actually trained are two columns.
    const table = buildExportTable([run({ epochs: 5 }, 0.9, 0.9)], { columns: ['epochs', 'epochsTrained'] });
    expect(table.columns.map((c) => c.label)).toEqual(['epochs', 'epochs trained']);
    expect(table.rows[0]).toEqual([5, 2]);
  });
});
