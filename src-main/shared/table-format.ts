// Result tables and their text formats: CSV (RFC 4180), Markdown, LaTeX
// (booktabs) and JSON. Pure, so the UI previews exactly what an export writes.
// A cell is a value or an aggregate over repeat runs (mean ± sample std, n).

export interface Aggregate {
  mean: number;
  /** Sample standard deviation (n − 1); null when n < 2. */
  std: number | null;
  /** Replicates (seeds) the mean is over. */
  n: number;
  /** Runs the values came from, when more than n: copies of one seed (a Re-run, an imported bundle) counted once. */
  runs?: number;
}

export type Cell = string | number | boolean | null | Aggregate;

export interface TableColumn {
  key: string;
  label: string;
  /** Numbers are right-aligned and printed with `digits` decimals in Markdown/LaTeX. */
  numeric: boolean;
  digits?: number;
}

export interface Table {
  columns: TableColumn[];
  rows: Cell[][];
}

export function isAggregate(cell: Cell): cell is Aggregate {
  return typeof cell === 'object' && cell !== null && 'mean' in cell;
}

/** Mean and sample std of the finite values; null when there are none. */
export function aggregate(values: (number | null | undefined)[]): Aggregate | null {
  const xs = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  if (xs.length === 0) return null;
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const std = xs.length < 2 ? null : Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1));
  return { mean, std, n: xs.length };
}

/**
 * Mean and sample std over replicates, not runs: the runs of one replicate (the
 * same settings and seed, e.g. a Re-run or an imported copy of a run) are one
 * seed's outcome, so their mean counts once. Counting a copy as another seed
 * would pull the mean towards it and shrink the spread. null when no value is finite.
 */
export function aggregateReplicates(values: readonly { replicate: string; value: number | null | undefined }[]): Aggregate | null {
  const byReplicate = new Map<string, number[]>();
  for (const { replicate, value } of values) {
    if (typeof value !== 'number' || !Number.isFinite(value)) continue;
    byReplicate.set(replicate, [...(byReplicate.get(replicate) ?? []), value]);
  }
  const result = aggregate([...byReplicate.values()].map((copies) => copies.reduce((a, b) => a + b, 0) / copies.length));
  const runs = [...byReplicate.values()].reduce((n, copies) => n + copies.length, 0);
  return result && runs > result.n ? { ...result, runs } : result;
}

function formatNumber(value: number, digits: number | undefined): string {
  if (!Number.isFinite(value)) return String(value);
  if (digits === undefined) return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(6)));
  return value.toFixed(digits);
}

/** Human-readable text of a cell; `pm` is the plus-minus sign of the target format. */
export function displayCell(cell: Cell, column: TableColumn, pm = '±'): string {
  if (cell === null) return '';
  if (isAggregate(cell)) {
    const mean = formatNumber(cell.mean, column.digits);
    return cell.std === null ? mean : `${mean} ${pm} ${formatNumber(cell.std, column.digits)}`;
  }
  if (typeof cell === 'number') return formatNumber(cell, column.digits);
  return String(cell);
}

// ---- CSV ----

/** RFC 4180: quote fields with comma, quote, CR or LF; double the quotes; CRLF line ends. */
export function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvLine(fields: string[]): string {
  return fields.map(csvField).join(',');
}

/**
 * CSV keeps full precision and stays machine-readable: an aggregate column
 * becomes two columns, "<label> mean" and "<label> std".
 */
export function formatCsv(table: Table): string {
  const aggregated = table.columns.map((_, i) => table.rows.some((r) => isAggregate(r[i])));
  const header = table.columns.flatMap((c, i) => (aggregated[i] ? [`${c.label} mean`, `${c.label} std`] : [c.label]));
  const lines = [csvLine(header)];
  for (const row of table.rows) {
    const fields: string[] = [];
    row.forEach((cell, i) => {
      if (aggregated[i]) {
        const a = isAggregate(cell) ? cell : null;
        fields.push(a ? String(a.mean) : cell === null ? '' : String(cell), a && a.std !== null ? String(a.std) : '');
      } else {
        fields.push(cell === null ? '' : String(cell));
      }
    });
    lines.push(csvLine(fields));
  }
  return lines.join('\r\n') + '\r\n';
}

/** Parses RFC 4180 CSV (quoted fields, doubled quotes, CRLF or LF). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += ch;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

// ---- Markdown ----

function markdownEscape(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

export function formatMarkdown(table: Table): string {
  const header = `| ${table.columns.map((c) => markdownEscape(c.label)).join(' | ')} |`;
  const rule = `|${table.columns.map((c) => (c.numeric ? ' ---: ' : ' --- ')).join('|')}|`;
  const body = table.rows.map((r) => `| ${r.map((cell, i) => markdownEscape(displayCell(cell, table.columns[i]))).join(' | ')} |`);
  return [header, rule, ...body].join('\n') + '\n';
}

// ---- LaTeX ----

const LATEX_SPECIALS: Record<string, string> = {
  '\\': '\\textbackslash{}',
  '&': '\\&',
  '%': '\\%',
  $: '\\$',
  '#': '\\#',
  _: '\\_',
  '{': '\\{',
  '}': '\\}',
  '~': '\\textasciitilde{}',
  '^': '\\textasciicircum{}',
};

export function latexEscape(text: string): string {
  return text.replace(/[\\&%$#_{}~^]/g, (c) => LATEX_SPECIALS[c]).replace(/\r?\n/g, ' ');
}

/** A booktabs tabular; numbers in math mode so ± typesets as $\pm$. */
export function formatLatex(table: Table): string {
  const spec = table.columns.map((c) => (c.numeric ? 'r' : 'l')).join('');
  const cell = (c: Cell, col: TableColumn) => {
    if (isAggregate(c)) return `$${displayCell(c, col, '\\pm')}$`;
    return latexEscape(displayCell(c, col));
  };
  return [
    `\\begin{tabular}{${spec}}`,
    '\\toprule',
    `${table.columns.map((c) => latexEscape(c.label)).join(' & ')} \\\\`,
    '\\midrule',
    ...table.rows.map((r) => `${r.map((c, i) => cell(c, table.columns[i])).join(' & ')} \\\\`),
    '\\bottomrule',
    '\\end{tabular}',
    '',
  ].join('\n');
}

// ---- JSON ----

/** One object per row keyed by column key; aggregates stay {mean, std, n}. */
export function formatJson(table: Table): string {
  const rows = table.rows.map((r) => Object.fromEntries(table.columns.map((c, i) => [c.key, r[i]])));
  return JSON.stringify({ columns: table.columns, rows }, null, 2) + '\n';
}

/**
 * The export formats: the one list the API contract, the request validator, the CLI
 * (which also accepts the file extension: md, tex) and the Export screen derive from.
 */
export const TABLE_FORMATS = {
  csv: { label: 'CSV', format: formatCsv, mime: 'text/csv', extension: 'csv' },
  markdown: { label: 'Markdown', format: formatMarkdown, mime: 'text/markdown', extension: 'md' },
  latex: { label: 'LaTeX', format: formatLatex, mime: 'application/x-latex', extension: 'tex' },
  json: { label: 'JSON', format: formatJson, mime: 'application/json', extension: 'json' },
} as const;

export type ExportFormat = keyof typeof TABLE_FORMATS;
export const EXPORT_FORMATS = Object.keys(TABLE_FORMATS) as [ExportFormat, ...ExportFormat[]];

/** A format by its name or its file extension ("md" → markdown); null for neither. */
export function exportFormatNamed(text: string): ExportFormat | null {
  return EXPORT_FORMATS.find((f) => f === text || TABLE_FORMATS[f].extension === text) ?? null;
}
