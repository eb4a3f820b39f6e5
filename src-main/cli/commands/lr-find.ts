// `kerv lr-find`: the learning-rate range test on a run config (the same flags
// as `kerv train`), through the workbench like the app's "Find lr", so the
// result is kept in the history: a progress line, the curve per decade of the
// rate, and the suggested rates. `--show ID` prints a stored one, `--list` them all.
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { lrFindOptionsSchema, type LrFindOptionsInput, type LrFindRecord } from '../../shared/lr-find';
import { CliError, EXIT, intFlag, parseFlags, type CliCommand } from '../command';
import { ProgressBar } from '../progress-bar';
import { buildRunConfig, CONFIG_FLAG_OPTIONS, KERNEL_PARAM_FLAG_OPTIONS, readConfigFile } from '../train-flags';
import { DATA_DIR_HELP, openWorkbench, request } from '../workbench-session';

const usage = `Usage: kerv lr-find [config flags] [options]
       kerv lr-find --show ID | --list

The learning-rate range test (Smith 2017; fast.ai's lr_find): trains the run's
model from its initialisation while the rate grows exponentially, stops once the
loss diverges, and suggests a rate: where the smoothed loss falls fastest, and a
tenth of where it is lowest. Takes the same config flags as 'kerv train' (its
optimizer, batch size, model, data and seed). Every result is kept with the run
history (the app's New Run form shows them too).

Options:
  --start-lr F       the first step's rate (default 1e-7)
  --end-lr F         the last step's rate (default 10)
  --steps N          steps from one to the other (default 200)
  --json FILE        also write the result (points and suggestions) as JSON
  --show ID          print a stored result again
  --list             list the stored results
${DATA_DIR_HELP}`;

const FLAGS = {
  ...CONFIG_FLAG_OPTIONS,
  ...KERNEL_PARAM_FLAG_OPTIONS,
  config: { type: 'string' },
  'start-lr': { type: 'string' },
  'end-lr': { type: 'string' },
  steps: { type: 'string' },
  json: { type: 'string' },
  show: { type: 'string' },
  list: { type: 'boolean' },
  'data-dir': { type: 'string' },
} as const;

const sci = (v: number | null | undefined) => (typeof v === 'number' && Number.isFinite(v) ? v.toExponential(1) : '—');

/** The curve at each decade of the rate (the point nearest it), and the suggestions. */
export function describeResult(record: LrFindRecord): string {
  const result = record.result;
  if (!result) return record.error ? `Learning-rate finder #${record.id} ${record.status}: ${record.error}` : `Learning-rate finder #${record.id} is ${record.status}.`;
  const lines: string[] = [];
  const last = result.points.at(-1);
  if (result.stoppedBy === 'diverged' && last) lines.push(`Stopped at lr ${sci(last.lr)} after ${last.step} steps: the loss diverged.`);
  if (result.stoppedBy === 'cancelled') lines.push(`Cancelled after ${result.points.length} steps.`);
  lines.push('lr        loss     smoothed');
  let decade = -Infinity;
  for (const p of result.points) {
    const d = Math.floor(Math.log10(p.lr));
    if (d === decade && p !== last) continue;
    decade = d;
    lines.push(`${sci(p.lr).padEnd(9)} ${Number.isFinite(p.loss) ? p.loss.toFixed(4) : 'NaN   '}   ${Number.isFinite(p.smoothed) ? p.smoothed.toFixed(4) : 'NaN'}`);
  }
  const { steepest, minimumDiv10 } = result.suggestions;
  lines.push(`Suggested learning rate: ${sci(steepest)} (steepest descent) · ${sci(minimumDiv10)} (minimum ÷ 10)`);
  return lines.join('\n');
}

function numberFlag(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new CliError(`--${name} must be a number, got '${value}'`);
  return n;
}

const lrFind: CliCommand = {
  name: 'lr-find',
  summary: 'find a learning rate: the LR range test, kept with the history',
  usage,
  async run(argv) {
    const { values } = parseFlags(argv, FLAGS);
    const workbench = await openWorkbench(values['data-dir'], { redisUrl: null });
    try {
      if (values.list) {
        const rows = await request(() => workbench.invoke('lrFind:list', undefined));
        if (rows.length === 0) console.log('No learning-rate finder results yet.');
        for (const r of rows) {
          console.log(`#${r.id}  ${r.createdAt.slice(0, 16).replace('T', ' ')}  ${r.status.padEnd(9)}  ${r.dataset} ${r.arch} (${r.kernel}) ${r.optimizer} batch ${r.batchSize}  steepest ${sci(r.suggestions?.steepest)}  min/10 ${sci(r.suggestions?.minimumDiv10)}`);
        }
        return EXIT.ok;
      }
      if (values.show !== undefined) {
        const id = intFlag('show', values.show, 1)!;
        console.log(describeResult(await request(() => workbench.invoke('lrFind:get', { id }))));
        return EXIT.ok;
      }
      const config = buildRunConfig(values.config ? readConfigFile(values.config) : {}, values);
      const finder: LrFindOptionsInput = {
        ...(values['start-lr'] !== undefined ? { startLr: numberFlag('start-lr', values['start-lr']) } : {}),
        ...(values['end-lr'] !== undefined ? { endLr: numberFlag('end-lr', values['end-lr']) } : {}),
        ...(values.steps !== undefined ? { steps: intFlag('steps', values.steps, 1) } : {}),
      };
      const bar = new ProgressBar(process.stdout);
      const { id } = await request(() => workbench.invoke('lrFind:start', { config, finder }));
      const total = lrFindOptionsSchema.parse(finder).steps; // valid: the service took them
      console.log(`kerv lr-find #${id}: ${config.dataset.name}, ${config.model.arch} ×${config.model.widthMultiplier} (${config.model.kernel.type}), ${config.optimizer.type}, batch ${config.batchSize}, seed ${config.seed}`);
      const offPoint = workbench.on('lrFind:progress', (e) => {
        if (e.id === id) bar.update({ label: 'lr-find', done: e.point.step, total, detail: `lr ${sci(e.point.lr)}  loss ${e.point.loss.toFixed(4)}` });
      });
      const ended = new Promise<void>((done) => {
        const off = workbench.on('lrFind:status', (e) => {
          if (e.id !== id) return;
          off();
          done();
        });
      });
      const onSigint = () => void workbench.invoke('lrFind:cancel', { id }).catch(() => undefined);
      process.once('SIGINT', onSigint);
      await ended;
      process.off('SIGINT', onSigint);
      offPoint();
      bar.end();
      const record = await workbench.invoke('lrFind:get', { id });
      console.log(describeResult(record));
      if (values.json && record.result) writeFileSync(resolve(values.json), JSON.stringify(record, null, 2));
      console.log(`Kept as lr-find #${id} in ${workbench.paths.root}: kerv lr-find --show ${id}`);
      if (record.status === 'failed') return EXIT.failed;
      return record.status === 'cancelled' ? EXIT.interrupted : EXIT.ok;
    } finally {
      await workbench.close();
    }
  },
};

export default lrFind;
