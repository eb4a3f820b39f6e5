import { describe, expect, it } from 'vitest';
import {
  aggregate,
  aggregateReplicates,
  formatCsv,
  formatJson,
  formatLatex,
  formatMarkdown,
  latexEscape,
  parseCsv,
  type Table,
} from '../../../src-main/shared/table-format';

const table: Table = {
  columns: [
    { key: 'name', label: 'name', numeric: false },
    { key: 'model.kernel.type', label: 'kernel', numeric: false },
    { key: 'acc', label: 'best val acc', numeric: true, digits: 4 },
  ],
  rows: [
    ['plain', 'linear', 0.91234],
    ['with, comma "quoted"\nand newline', 'poly_3 & 50% $x$ #1 {a} ~^\\', 0.5],
    ['pipe | name', 'gaussian', null],
  ],
};

describe('aggregate', () => {
  it('computes the mean and the sample standard deviation of the finite values', () => {
    const a = aggregate([0.9, 0.92, 0.94, null, NaN])!;
    expect(a.n).toBe(3);
    expect(a.mean).toBeCloseTo(0.92, 12);
    expect(a.std).toBeCloseTo(0.02, 12);
    expect(aggregate([0.5])).toEqual({ mean: 0.5, std: null, n: 1 });
    expect(aggregate([null])).toBeNull();
  });
});

describe('aggregateReplicates (issue 22 bug 4)', () => {
  it('counts the copies of one seed once: the walk-through\'s 3 runs are the 2-seed 80.84 ± 1.27 %, not 81.14 ± 1.04 %', () => {
    const runs = [
      { replicate: 'seed 0', value: 0.7994 },
      { replicate: 'seed 1', value: 0.8174 },
      { replicate: 'seed 1', value: 0.8174 }, // its imported copy
    ];
    const naive = aggregate(runs.map((r) => r.value))!;
    expect([naive.mean * 100, naive.std! * 100].map((v) => v.toFixed(2))).toEqual(['81.14', '1.04']);
    const overSeeds = aggregateReplicates(runs)!;
    expect([overSeeds.mean * 100, overSeeds.std! * 100].map((v) => v.toFixed(2))).toEqual(['80.84', '1.27']);
    expect([overSeeds.n, overSeeds.runs]).toEqual([2, 3]);
    // Copies that differ (a Re-run on another backend) count as their mean; without copies, runs is left out.
    expect(aggregateReplicates([{ replicate: 'a', value: 0.5 }, { replicate: 'a', value: 0.7 }, { replicate: 'b', value: 0.8 }])).toMatchObject({ mean: 0.7, n: 2, runs: 3 });
    expect(aggregateReplicates([{ replicate: 'a', value: 0.5 }, { replicate: 'b', value: null }])).toEqual({ mean: 0.5, std: null, n: 1 });
  });
});

describe('CSV', () => {
  it('quotes per RFC 4180 and parses back to the same cells', () => {
    const text = formatCsv(table);
    expect(text.endsWith('\r\n')).toBe(true);
    expect(text).toContain('"with, comma ""quoted""\nand newline"');
    const rows = parseCsv(text);
    expect(rows[0]).toEqual(['name', 'kernel', 'best val acc']);
    expect(rows[1]).toEqual(['plain', 'linear', '0.91234']);
    expect(rows[2]).toEqual(['with, comma "quoted"\nand newline', 'poly_3 & 50% $x$ #1 {a} ~^\\', '0.5']);
    expect(rows[3]).toEqual(['pipe | name', 'gaussian', '']);
    expect(rows).toHaveLength(4);
  });

  it('splits an aggregate column into mean and std columns at full precision', () => {
    const grouped: Table = {
      columns: [
        { key: 'k', label: 'kernel', numeric: false },
        { key: 'acc', label: 'acc', numeric: true, digits: 2 },
        { key: 'n', label: 'n', numeric: true },
      ],
      rows: [
        ['linear', aggregate([0.9, 0.92, 0.94]), 3],
        ['gaussian', aggregate([0.8]), 1],
      ],
    };
    const rows = parseCsv(formatCsv(grouped));
    expect(rows[0]).toEqual(['kernel', 'acc mean', 'acc std', 'n']);
    expect(Number(rows[1][1])).toBeCloseTo(0.92, 12);
    expect(Number(rows[1][2])).toBeCloseTo(0.02, 12);
    expect(rows[2]).toEqual(['gaussian', '0.8', '', '1']);
  });
});

describe('Markdown', () => {
  it('has a header, an alignment rule and one escaped row per table row', () => {
    const lines = formatMarkdown(table).trimEnd().split('\n');
    expect(lines[0]).toBe('| name | kernel | best val acc |');
    expect(lines[1]).toBe('| --- | --- | ---: |');
    expect(lines).toHaveLength(5);
    expect(lines[2]).toBe('| plain | linear | 0.9123 |');
    expect(lines[4]).toBe('| pipe \\| name | gaussian |  |');
    // Every row has as many unescaped cell separators as the header.
    const cells = (line: string) => line.split(/(?<!\\)\|/).length;
    for (const line of lines) expect(cells(line)).toBe(cells(lines[0]));
  });

  it('prints aggregates as mean ± std with the column digits', () => {
    const md = formatMarkdown({ columns: [{ key: 'a', label: 'acc', numeric: true, digits: 3 }], rows: [[aggregate([0.9, 0.92, 0.94])]] });
    expect(md).toContain('| 0.920 ± 0.020 |');
  });
});

describe('LaTeX', () => {
  it('escapes every special character', () => {
    expect(latexEscape('a_b & 50% $x$ #1 {y} ~ ^ \\')).toBe(
      'a\\_b \\& 50\\% \\$x\\$ \\#1 \\{y\\} \\textasciitilde{} \\textasciicircum{} \\textbackslash{}',
    );
  });

  it('is a booktabs tabular with escaped values and $\\pm$ aggregates', () => {
    const tex = formatLatex({
      columns: [...table.columns, { key: 'agg', label: 'mean_acc', numeric: true, digits: 2 }],
      rows: table.rows.map((r) => [...r, aggregate([0.5, 0.7])]),
    });
    const lines = tex.trimEnd().split('\n');
    expect(lines[0]).toBe('\\begin{tabular}{llrr}');
    expect(lines[1]).toBe('\\toprule');
    expect(lines[2]).toBe('name & kernel & best val acc & mean\\_acc \\\\');
    expect(lines[3]).toBe('\\midrule');
    expect(lines[lines.length - 2]).toBe('\\bottomrule');
    expect(lines[lines.length - 1]).toBe('\\end{tabular}');
    expect(tex).toContain('poly\\_3 \\& 50\\% \\$x\\$ \\#1 \\{a\\} \\textasciitilde{}\\textasciicircum{}\\textbackslash{}');
    expect(tex).toContain('$0.60 \\pm 0.14$');
    // Body rows: one per table row, each with the column count of the header.
    const body = lines.slice(4, -2);
    expect(body).toHaveLength(3);
    for (const row of body) expect(row.split(/(?<!\\)&/).length).toBe(4);
  });
});

describe('JSON', () => {
  it('round-trips columns and rows, aggregates included', () => {
    const grouped: Table = { columns: table.columns, rows: [['x', 'linear', aggregate([0.9, 0.92, 0.94])]] };
    const parsed = JSON.parse(formatJson(grouped));
    expect(parsed.columns).toEqual(grouped.columns);
    expect(parsed.rows[0]['model.kernel.type']).toBe('linear');
    expect(parsed.rows[0].acc.mean).toBeCloseTo(0.92, 12);
    expect(parsed.rows[0].acc.n).toBe(3);
    expect(JSON.parse(formatJson(table)).rows.map((r: Record<string, unknown>) => [r.name, r['model.kernel.type'], r.acc])).toEqual(table.rows);
  });
});
