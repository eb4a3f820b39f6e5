// `kerv sweep`: a grid (or random points of it) over any config fields, each
// point repeated with several seeds, as one group of queued runs.
import { parseScalar } from '../../shared/config-paths';
import { CliError, EXIT, intFlag, parseFlags, type CliCommand } from '../command';
import { buildRunConfig, CONFIG_FLAG_OPTIONS, KERNEL_PARAM_FLAG_OPTIONS, readConfigFile, type ConfigFlagValues } from '../train-flags';
import { DATA_DIR_HELP, openWorkbench, request, trainAndWait } from '../workbench-session';
import { plural } from '../../shared/format';
import { MAX_GPU_SLOTS } from '../../shared/run-config';
import { ASHA_METRICS, ashaEpochBudget, ashaRungs, type AshaMetric, type AshaOptions, type AshaOptionsInput } from '../../shared/asha';

const usage = `Usage: kerv sweep --grid PATH=V1,V2,... [--grid ...] [options] [config flags]

Queues one run per grid point and seed, as one group, then trains them here and
waits (one line per run and epoch; Ctrl+C interrupts, exit 130). The runs of the
group export together: kerv export --group N --group-by config.

  --base FILE        the base run config (JSON); config flags of 'kerv train'
                     (--arch, --epochs, --kernel, ...) override its fields
  --grid PATH=VALUES a grid axis: a dotted config path and comma-separated values,
                     e.g. model.kernel.type=linear,polynomial,gaussian or
                     optimizer.lr=0.1,0.01 (a JSON array also works: PATH=[...]).
                     Repeat --grid for more axes: the grid is their product.
  --random N         train N random points of the grid instead of all of it
  --repeats N        seeds per point: base seed, +1, ... (default 1)
  --name TEXT        the group's name and the runs' name prefix
  --asha-min-epochs R  stop bad runs early with ASHA (asynchronous successive
                     halving): rungs at epochs R, ηR, η²R, … below the runs'
                     --epochs; after each, a run below the top 1/η of the runs
                     that reached it before stops there (completed, tested on
                     its weights). Needs a validation split.
  --asha-eta N       η, from 2 (default 3): each rung keeps the top 1/η
  --asha-metric M    validationAccuracy (default) or validationLoss
  --concurrency N    runs trained at the same time on the CPU (default: the saved setting, 1)
  --gpu-slots N|auto runs trained at the same time on the GPU (webgpu): a number up to
                     ${MAX_GPU_SLOTS}, or auto: from GPU memory and measured throughput (default:
                     the saved setting, auto)
  --detach           only queue the runs (the next workbench to open the folder trains them)
  --dry-run          print the runs the sweep would create, and create none
${DATA_DIR_HELP}
  -h, --help         show this help

Example (the kernel ablation, 3 seeds each):
  kerv sweep --base run.json --grid model.kernel.type=linear,polynomial,gaussian --repeats 3

Example (27 points, 9 epochs each; the worst stop after 1 and 3 epochs):
  kerv sweep --epochs 9 --grid optimizer.lr=0.01,0.003,0.001 --grid model.widthMultiplier=0.5,1,2 \\
    --grid model.kernel.type=linear,polynomial,gaussian --asha-min-epochs 1 --asha-eta 3

Exit codes: 0 all runs completed, 1 a run failed, 2 bad usage or config, 130 interrupted.`;

/** "model.kernel.type=linear,polynomial" → ['model.kernel.type', ['linear', 'polynomial']]. */
export function parseGridAxis(text: string): [string, unknown[]] {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new CliError(`--grid: '${text}' should be PATH=V1,V2,... (e.g. model.kernel.type=linear,gaussian)`);
  const path = text.slice(0, eq).trim();
  const raw = text.slice(eq + 1).trim();
  if (!/^[A-Za-z][\w]*(\.[A-Za-z][\w]*)*$/.test(path)) throw new CliError(`--grid: '${path}' is not a dotted config path`);
  let values: unknown[];
  if (raw.startsWith('[')) {
    const parsed = parseScalar(raw);
    if (!Array.isArray(parsed)) throw new CliError(`--grid ${path}: '${raw}' is not a JSON array`);
    values = parsed;
  } else {
    values = raw.split(',').map((v) => v.trim()).filter((v) => v !== '').map(parseScalar);
  }
  if (values.length === 0) throw new CliError(`--grid ${path}: no values`);
  return [path, values];
}

/** --asha-*: the sweep's ASHA options, or undefined without --asha-min-epochs (the service checks them against the runs). */
function ashaFlags(minEpochs: string | undefined, eta: string | undefined, metric: string | undefined): AshaOptionsInput | undefined {
  if (minEpochs === undefined) {
    if (eta !== undefined || metric !== undefined) throw new CliError('--asha-eta and --asha-metric need --asha-min-epochs R (the first rung), which turns ASHA on');
    return undefined;
  }
  if (metric !== undefined && !(ASHA_METRICS as readonly string[]).includes(metric)) throw new CliError(`--asha-metric must be one of ${ASHA_METRICS.join(', ')}, got '${metric}'`);
  return {
    minEpochs: intFlag('asha-min-epochs', minEpochs, 1)!,
    ...(eta !== undefined ? { eta: intFlag('asha-eta', eta, 2, 100) } : {}),
    ...(metric !== undefined ? { metric: metric as AshaMetric } : {}),
  };
}

/** The rungs and what they may save, for --dry-run. */
function describeSweepAsha(asha: AshaOptions, runs: number, maxEpochs: number): string {
  const { epochs, fullEpochs } = ashaEpochBudget(runs, maxEpochs, asha);
  return `ASHA: rungs at epochs ${ashaRungs(asha, maxEpochs).join(', ')} of ${maxEpochs}, top 1/${asha.eta} by ${asha.metric}; if each rung kept exactly its top 1/${asha.eta}: ${epochs} of ${fullEpochs} epochs.`;
}

const command: CliCommand = {
  name: 'sweep',
  summary: 'start a grid / random sweep with repeat seeds',
  usage,
  async run(argv) {
    const { values } = parseFlags(argv, {
      ...CONFIG_FLAG_OPTIONS,
      ...KERNEL_PARAM_FLAG_OPTIONS,
      base: { type: 'string' },
      grid: { type: 'string', multiple: true },
      random: { type: 'string' },
      repeats: { type: 'string' },
      'sweep-name': { type: 'string' },
      concurrency: { type: 'string' },
      'gpu-slots': { type: 'string' },
      detach: { type: 'boolean' },
      'dry-run': { type: 'boolean' },
      'data-dir': { type: 'string' },
      'asha-min-epochs': { type: 'string' },
      'asha-eta': { type: 'string' },
      'asha-metric': { type: 'string' },
    });
    if (!values.grid || values.grid.length === 0) throw new CliError('kerv sweep needs at least one --grid PATH=V1,V2,... (see kerv sweep --help)');
    const grid = Object.fromEntries(values.grid.map(parseGridAxis));
    const base = buildRunConfig(values.base ? readConfigFile(values.base) : {}, values as ConfigFlagValues);
    const sweep = {
      base,
      grid,
      randomDraws: intFlag('random', values.random, 1),
      repeats: intFlag('repeats', values.repeats, 1) ?? 1,
      name: values['sweep-name'] ?? values.name,
      asha: ashaFlags(values['asha-min-epochs'], values['asha-eta'], values['asha-metric']),
    };
    const gpuSlots = values['gpu-slots'] === 'auto' ? 'auto' : intFlag('gpu-slots', values['gpu-slots'], 1, MAX_GPU_SLOTS);
    const wb = await openWorkbench(values['data-dir'], { concurrency: intFlag('concurrency', values.concurrency, 1), ...(gpuSlots !== undefined ? { gpuSlots } : {}) });
    try {
      if (values['dry-run']) {
        const { expandSweep, sweepAsha } = await import('../../service/sweep');
        const points = await request(async () => expandSweep(sweep));
        for (const p of points) console.log(p.name);
        console.log(`${plural(points.length, 'run')} (dry run: nothing queued).`);
        const asha = sweepAsha(sweep, points);
        if (asha) console.log(describeSweepAsha(asha, points.length, points[0].config.epochs));
        return EXIT.ok;
      }
      const { groupId, runIds } = await request(() => wb.invoke('sweeps:start', sweep));
      console.log(`Group ${groupId}: queued ${plural(runIds.length, 'run')} (${runIds[0]}–${runIds[runIds.length - 1]}).`);
      if (values.detach) return EXIT.ok;
      const code = await trainAndWait(wb, runIds);
      if (code !== EXIT.interrupted) console.log(`Export: kerv export --group ${groupId} --group-by config --format md`);
      return code;
    } finally {
      await wb.close();
    }
  },
};

export default command;
