// `kerv export`: a result table (CSV, Markdown, LaTeX, JSON) of chosen runs or
// groups, optionally one row per config (mean ± std over seeds), or the full
// metric series in long format.
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { EXPORT_FORMATS, TABLE_FORMATS, exportFormatNamed } from '../../shared/table-format';
import { CliError, EXIT, parseFlags, type CliCommand } from '../command';
import { DATA_DIR_HELP, openWorkbench, parseIds, request } from '../workbench-session';

/** How --format is written: the extension where it is shorter (md, tex), else the name. */
const FORMAT_WORDS = EXPORT_FORMATS.map((f) => (TABLE_FORMATS[f].extension.length < f.length ? TABLE_FORMATS[f].extension : f));

const usage = `Usage: kerv export [--runs IDS | --group N[,N]] [options]

  --format F         ${FORMAT_WORDS.join(' | ')} (default csv)
  --runs IDS         runs to include, e.g. 1,2,5-7
  --group N[,N]      every run of these groups (sweeps)
                     (neither: every completed run)
  --columns LIST     comma-separated columns: config paths (model.kernel.type,
                     optimizer.lr, ...) and metrics (bestValidationAccuracy,
                     finalValidationAccuracy, testAccuracy, testLoss, finalTrainLoss,
                     finalTrainAccuracy, trainingTimeS, parameterCount, epochsTrained, steps)
                     and id, name, status, group; --list-columns prints them all
  --group-by LIST    one row per distinct value of these config paths, metrics as
                     mean ± std with n; 'config' = every config field but the seed
  --series           instead of a table: every step and epoch metric, as long-format
                     CSV (--format csv) or JSON with each run's config and diagnostics (--format json)
  --model RUN        instead of a table: the run's trained model in the TensorFlow.js layers
                     format, written to --out FILE.json and FILE.weights.bin beside it
  --best             with --model: the best epoch's weights (runs trained with early stopping)
  --out FILE         write to FILE instead of standard output
  --list-columns     print the available columns and exit
${DATA_DIR_HELP}
  -h, --help         show this help

Example: kerv export --group 1 --group-by model.kernel.type --format latex --out table.tex`;

const list = (text: string | undefined) => (text === undefined ? undefined : text.split(',').map((s) => s.trim()).filter(Boolean));

const command: CliCommand = {
  name: 'export',
  summary: `export a result table (${FORMAT_WORDS.join(', ')})`,
  usage,
  async run(argv) {
    const { values } = parseFlags(argv, {
      format: { type: 'string' },
      runs: { type: 'string' },
      group: { type: 'string' },
      columns: { type: 'string' },
      'group-by': { type: 'string' },
      series: { type: 'boolean' },
      model: { type: 'string' },
      best: { type: 'boolean' },
      out: { type: 'string' },
      'list-columns': { type: 'boolean' },
      'data-dir': { type: 'string' },
    });
    const format = exportFormatNamed(values.format ?? 'csv');
    if (!format) throw new CliError(`--format: '${values.format}' is not a format (expected ${FORMAT_WORDS.join(', ')})`);
    const runIds = values.runs !== undefined ? parseIds(values.runs, '--runs') : undefined;
    const groupIds = values.group !== undefined ? parseIds(values.group, '--group') : undefined;
    const wb = await openWorkbench(values['data-dir']);
    try {
      if (values['list-columns']) {
        const columns = await wb.invoke('export:columns', undefined);
        console.log(columns.map((c) => (c.label === c.path ? c.path : `${c.path}  (${c.label})`)).join('\n'));
        return EXIT.ok;
      }
      if (values.model !== undefined) {
        const [id] = parseIds(values.model, '--model');
        if (!values.out) throw new CliError('--model needs --out FILE.json (the weights go beside it as FILE.weights.bin)');
        const out = resolve(values.out);
        const revoke = wb.grantPath(out);
        try {
          const saved = await request(() => wb.invoke('runs:exportModel', { id, which: values.best ? 'best' : 'last', path: out }));
          console.error(`Wrote ${saved.modelFile} and ${saved.weightsFile}: run ${id}'s ${saved.which === 'best' ? 'best epoch' : 'last epoch'} (${saved.epoch}), for tf.loadLayersModel.`);
        } finally {
          revoke();
        }
        return EXIT.ok;
      }
      if (values.series && format !== 'csv' && format !== 'json') throw new CliError(`--series: --format must be csv or json, got '${values.format}'`);
      const { text } = values.series
        ? await request(() => wb.invoke('export:series', { runIds, groupIds, format: format === 'json' ? 'json' : 'csv' }))
        : await request(() => wb.invoke('export:table', { runIds, groupIds, columns: list(values.columns), groupBy: list(values['group-by']), format }));
      if (values.out) {
        try {
          writeFileSync(values.out, text);
        } catch (error) {
          throw new CliError(`--out: cannot write '${values.out}': ${(error as Error).message}`, EXIT.failed);
        }
        console.error(`Wrote ${values.out}.`);
      } else {
        process.stdout.write(text);
      }
      return EXIT.ok;
    } finally {
      await wb.close();
    }
  },
};

export default command;
