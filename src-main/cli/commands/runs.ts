// `kerv runs`: list, show, remove, resume, and move runs between machines.
import { resolve } from 'node:path';
import { RUN_STATUSES, type RunListQuery, type RunRow, type RunStatus } from '../../shared/api';
import { BUILTIN_FIELDS, isSortField } from '../../shared/run-fields';
import { CliError, EXIT, intFlag, parseFlags, type CliCommand } from '../command';
import { DATA_DIR_HELP, openWorkbench, parseIds, request, trainAndWait } from '../workbench-session';
import { formatDuration, formatPercent, plural } from '../../shared/format';


const SORT_FIELDS = BUILTIN_FIELDS.map((f) => f.key).filter(isSortField);

const usage = `Usage: kerv runs <list|show|rm|resume|export|import> [options]

  kerv runs list [--status S,...] [--search TEXT] [--group N] [--sort KEY] [--asc]
                 [--limit N] [--offset N] [--json]
      Stored runs, newest first. KEY: a run field: ${SORT_FIELDS.join(', ')},
      experimentHash, summary.<metric> or config.<path> (e.g. config.optimizer.lr).
      S: ${RUN_STATUSES.join(', ')}.
  kerv runs show ID [--json]
      Config, environment, per-epoch metrics and the log of one run.
  kerv runs rm ID[,ID...]
      Deletes runs, their metrics and their checkpoints (not running ones);
      checkpoints that kerv train --checkpoint-dir put elsewhere stay there.
  kerv runs resume ID[,ID...] [--detach] [--concurrency N]
      Continues failed, cancelled or interrupted runs from their last checkpoint
      (the curve continues: steps after the checkpoint are trained again). Trains
      here and waits, one line per run and epoch; Ctrl+C interrupts (exit 130).
      --detach only queues them for the next workbench that opens the folder.
  kerv runs export ID[,ID...] --out FILE.kervrun
      One file with config, metadata, metrics, samples, log and final checkpoint.
  kerv runs import FILE.kervrun
      Adds the bundle's runs to this data folder (new ids); they can be resumed.

Options:
${DATA_DIR_HELP}
  -h, --help         show this help

Exit codes: 0 ok; 1 a run failed, a run or group was not found, or its state forbids the action
(resume a completed run, delete a running one); 2 bad usage (an unknown flag, a value not
allowed); 130 interrupted.`;

/** A plain text table: columns padded to their widest cell. */
export function textTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

function listRow(r: RunRow): string[] {
  const progress = r.totalSteps ? `${r.step}/${r.totalSteps}` : String(r.step);
  return [String(r.id), r.name, r.status, r.dataset, r.arch, r.kernel, String(r.seed), formatPercent(r.bestValidationAccuracy), formatPercent(r.testAccuracy), progress, formatDuration(r.durationMs), r.groupId === null ? '' : String(r.groupId)];
}

function parseStatuses(text: string): RunStatus[] {
  return text.split(',').map((s) => {
    if (!(RUN_STATUSES as readonly string[]).includes(s)) throw new CliError(`--status: '${s}' is not a status (expected ${RUN_STATUSES.join(', ')})`);
    return s as RunStatus;
  });
}

async function list(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, {
    'data-dir': { type: 'string' },
    status: { type: 'string' },
    search: { type: 'string' },
    group: { type: 'string' },
    sort: { type: 'string' },
    asc: { type: 'boolean' },
    limit: { type: 'string' },
    offset: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (values.sort !== undefined && !isSortField(values.sort)) {
    throw new CliError(`--sort: '${values.sort}' is not a sort key (expected a run field: ${SORT_FIELDS.join(', ')}, experimentHash, summary.<metric> or config.<path>)`);
  }
  const query: RunListQuery = {
    search: values.search,
    status: values.status ? parseStatuses(values.status) : undefined,
    groupId: intFlag('group', values.group, 1),
    sortBy: values.sort,
    sortDir: values.asc ? 'asc' : 'desc',
    limit: intFlag('limit', values.limit, 1) ?? 50,
    offset: intFlag('offset', values.offset, 0) ?? 0,
  };
  const wb = await openWorkbench(values['data-dir']);
  try {
    const { rows, total } = await request(() => wb.invoke('runs:list', query));
    if (values.json) {
      console.log(JSON.stringify({ rows, total }, null, 2));
    } else if (rows.length === 0) {
      console.log(total === 0 ? 'No runs.' : `No runs at offset ${query.offset} (${total} in all).`);
    } else {
      console.log(textTable(['id', 'name', 'status', 'dataset', 'arch', 'kernel', 'seed', 'best val', 'test', 'steps', 'time', 'group'], rows.map(listRow)));
      if (total > rows.length) console.log(`(${rows.length} of ${total}; --limit/--offset for more)`);
    }
    return EXIT.ok;
  } finally {
    await wb.close();
  }
}

function single(positionals: string[], what: string): number {
  if (positionals.length !== 1) throw new CliError(`kerv runs ${what} needs exactly one run id`);
  return parseIds(positionals[0], 'run id')[0];
}

async function show(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, { 'data-dir': { type: 'string' }, json: { type: 'boolean' } }, true);
  const id = single(positionals, 'show');
  const wb = await openWorkbench(values['data-dir']);
  try {
    const run = await request(() => wb.invoke('runs:get', { id }));
    const metrics = await request(() => wb.invoke('runs:metrics', { id }));
    const log = await request(() => wb.invoke('runs:log', { id }));
    if (values.json) {
      console.log(JSON.stringify({ run, epochs: metrics.epochs.map(({ samplePredictions: _s, confusion: _c, ...e }) => e), log }, null, 2));
      return EXIT.ok;
    }
    const env = run.environment;
    const lines = [
      `Run ${run.id}: ${run.name}`,
      `  status        ${run.status}${run.error ? ` (${run.error})` : ''}${run.resumable ? '  [resumable]' : ''}`,
      `  model         ${run.arch}, kernel ${JSON.stringify(run.config.model.kernel)}, width ${run.config.model.widthMultiplier}`,
      `  dataset       ${run.dataset}${run.dataset_info ? ` (fingerprint ${run.dataset_info.fingerprint}, ${run.dataset_info.trainSize}/${run.dataset_info.validationSize}/${run.dataset_info.testSize})` : ''}`,
      `  seed          ${run.seed}    config hash ${run.configHash.slice(0, 12)}`,
      `  progress      step ${run.step}${run.totalSteps ? `/${run.totalSteps}` : ''}, ${formatDuration(run.durationMs)}`,
      `  accuracy      best val ${formatPercent(run.bestValidationAccuracy)}, test ${formatPercent(run.testAccuracy)}`,
      `  parameters    ${run.parameterCount ?? '—'}`,
      `  environment   ${env ? `${env.backend} on ${env.device}, tfjs ${env.tfjsVersion}, app ${env.appVersion}, ${env.os}, node ${env.nodeVersion}` : '—'}`,
      `  created       ${run.createdAt}${run.startedAt ? `, started ${run.startedAt}` : ''}${run.finishedAt ? `, finished ${run.finishedAt}` : ''}`,
      ...(run.groupId !== null ? [`  group         ${run.groupId}`] : []),
      ...(run.tags.length > 0 ? [`  tags          ${run.tags.join(', ')}`] : []),
      ...(run.notes ? [`  notes         ${run.notes}`] : []),
    ];
    console.log(lines.join('\n'));
    if (metrics.epochs.length > 0) {
      console.log('\n' + textTable(
        ['epoch', 'step', 'train loss', 'train acc', 'val loss', 'val acc', 'time'],
        metrics.epochs.map((e) => [String(e.epoch), String(e.step), e.trainLoss.toFixed(4), formatPercent(e.trainAccuracy), e.validationLoss === null ? '—' : e.validationLoss.toFixed(4), formatPercent(e.validationAccuracy), formatDuration(e.durationMs)]),
      ));
    }
    if (log.length > 0) console.log('\nLog:\n' + log.slice(-20).map((l) => `  ${l.at} ${l.level.padEnd(5)} ${l.message}`).join('\n'));
    return EXIT.ok;
  } finally {
    await wb.close();
  }
}

async function remove(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, { 'data-dir': { type: 'string' } }, true);
  if (positionals.length === 0) throw new CliError('kerv runs rm needs run ids (e.g. 3 or 1,2,5-7)');
  const ids = positionals.flatMap((p) => parseIds(p, 'run id'));
  const wb = await openWorkbench(values['data-dir']);
  try {
    await request(() => wb.invoke('runs:delete', { ids }));
    console.log(`Deleted ${plural(ids.length, 'run')}: ${ids.join(', ')}.`);
    return EXIT.ok;
  } finally {
    await wb.close();
  }
}

async function resume(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, { 'data-dir': { type: 'string' }, detach: { type: 'boolean' }, concurrency: { type: 'string' } }, true);
  if (positionals.length === 0) throw new CliError('kerv runs resume needs run ids (e.g. 3 or 1,2)');
  const ids = positionals.flatMap((p) => parseIds(p, 'run id'));
  const wb = await openWorkbench(values['data-dir'], { concurrency: intFlag('concurrency', values.concurrency, 1) });
  try {
    for (const id of ids) {
      const before = await request(() => wb.invoke('runs:get', { id }));
      await request(() => wb.invoke('runs:resume', { id }));
      const after = await request(() => wb.invoke('runs:get', { id }));
      console.log(`run ${id}: queued to resume ${after.step > 0 ? `from step ${after.step}` : 'from the start (no checkpoint)'} (was ${before.status})`);
    }
    if (values.detach) return EXIT.ok;
    return await trainAndWait(wb, ids);
  } finally {
    await wb.close();
  }
}

async function exportRuns(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, { 'data-dir': { type: 'string' }, out: { type: 'string' } }, true);
  if (positionals.length === 0) throw new CliError('kerv runs export needs run ids');
  if (!values.out) throw new CliError('kerv runs export needs --out FILE.kervrun');
  const ids = positionals.flatMap((p) => parseIds(p, 'run id'));
  const wb = await openWorkbench(values['data-dir']);
  try {
    // A path on the user's own command line: theirs to choose, wherever it is.
    const out = resolve(values.out);
    wb.grantPath(out);
    const { path, bytes } = await request(() => wb.invoke('runs:exportBundle', { ids, path: out }));
    console.log(`Wrote ${plural(ids.length, 'run')} to ${path} (${bytes} bytes).`);
    return EXIT.ok;
  } finally {
    await wb.close();
  }
}

async function importRuns(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, { 'data-dir': { type: 'string' } }, true);
  if (positionals.length !== 1) throw new CliError('kerv runs import needs one .kervrun file');
  const wb = await openWorkbench(values['data-dir']);
  try {
    const file = resolve(positionals[0]);
    wb.grantPath(file);
    const { ids } = await request(() => wb.invoke('runs:importBundle', { path: file }));
    console.log(`Imported ${plural(ids.length, 'run')}: ${ids.join(', ')}.`);
    return EXIT.ok;
  } finally {
    await wb.close();
  }
}

const SUBCOMMANDS: Record<string, (argv: string[]) => Promise<number>> = {
  list,
  ls: list,
  show,
  rm: remove,
  resume,
  export: exportRuns,
  import: importRuns,
};

const command: CliCommand = {
  name: 'runs',
  summary: 'list | show | rm | resume stored runs',
  usage,
  async run(argv) {
    const [sub, ...rest] = argv;
    const fn = sub ? SUBCOMMANDS[sub] : undefined;
    if (!fn) {
      throw new CliError(sub ? `kerv runs: unknown subcommand '${sub}' (expected list, show, rm, resume, export, import)` : usage);
    }
    return fn(rest);
  },
};

export default command;
