// `kerv train`: one run in this process, with a progress bar, recorded in the
// workbench's data folder like a run started in the app (--no-record: not at all).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { DatasetInfo, EpochMetrics, RunEnvironment, TrainOutcome, TrainProgress } from '../../shared/progress';
import { DATASETS, DATASET_SPECS } from '../../shared/datasets';
import { ARCHITECTURES, AUGMENTATIONS, BACKENDS, DAWN_BACKENDS, defaultRunConfig, WEBGPU_SUBMIT_BATCH, EARLY_STOPPING_METRICS, OPTIMIZERS, SCHEDULES, type RunConfig } from '../../shared/run-config';
import { train } from '../../engine/train/train';
import { readCheckpointState } from '../../engine/train/checkpoint';
import { dataPaths, resolveDataDir } from '../../service/paths';
import { CliError, EXIT, exitCodeOf, parseFlags, type CliCommand } from '../command';
import type { Workbench } from '../../service/workbench';
import type { RunRecording } from '../../service/run-recording';
import { openWorkbench } from '../workbench-session';
import { ProgressBar } from '../progress-bar';
import { buildRunConfig, CONFIG_FLAG_OPTIONS, KERNEL_PARAM_FLAG_OPTIONS, KERV_LAYERS_HELP, kernelFlagsHelp, readConfigFile } from '../train-flags';
import { epochLine, formatPercent, plural, summaryLine } from '../../shared/format';
import { describeThreadLayout } from '../../shared/parallelism';

const PATH_DATASETS = DATASETS.filter((name) => DATASET_SPECS[name].needsPath);

const usage = `Usage: kerv train [options]

Trains one model and prints its progress; exit code 0 on success, 1 when the run
fails or diverges, 2 for a bad option, 130 when interrupted (Ctrl+C: the run stops
after the current step and keeps a checkpoint to --resume from).

Config (flags override --config; every value is checked against the run-config schema):
  --config FILE          run config JSON (fields as in the UI's "export config")
  --name TEXT
  --dataset NAME         ${DATASETS.join(' | ')}   (default ${defaultRunConfig().dataset.name})
  --data-path DIR        read the dataset from here (required for ${PATH_DATASETS.join(', ')})
  --image-size N         ${PATH_DATASETS.join(', ')}: resize to N×N
  --augment MODE         ${AUGMENTATIONS.join(' | ')}
  --train-subset N       use only N training images
  --test-subset N        use only N test images
  --val-fraction F       held-out validation fraction, 0..0.5 (default 0.1)
  --arch NAME            ${ARCHITECTURES.join(' | ')}
  --width F              width multiplier (default 1)
${kernelFlagsHelp()}
  --kerv-layers L        ${KERV_LAYERS_HELP}
  --kerv-norm N          none | batch: batch norm after each of those convs (default none)
  --kerv-activation A    arch | none | tanh | relu: the activation right after each of them
                         (default arch: the architecture's own)
  --epochs N  --batch-size N  --seed N
  --optimizer NAME       ${OPTIMIZERS.join(' | ')}
  --lr F  --momentum F  --nesterov  --weight-decay F
  --schedule NAME        ${SCHEDULES.join(' | ')}
  --warmup EPOCHS  --min-lr F  --milestones E1,E2
  --label-smoothing F    0..0.5
  --clip NORM            clip the global gradient norm ("none" to disable)
  --samples N            fixed validation images with top-3 predictions per epoch
  --early-stopping N     stop once the validation metric has not improved for N epochs;
                         the test set is then evaluated on the best epoch's weights
  --early-stopping-metric M  ${EARLY_STOPPING_METRICS.join(' | ')} (default validationAccuracy)
  --min-delta F          the smallest change that counts as an improvement (default 0)
  --test-last-epoch      with early stopping, test the last epoch's weights, not the best's
  --backend NAME         ${BACKENDS.join(' | ')} (or env KERV_BACKEND);
                         auto takes webgpu only on a hardware GPU, --backend webgpu also on a
                         software one (SwiftShader, lavapipe: for tests, far slower than wasm)
  --threads N|auto       CPU threads (default auto: every core; results do not depend on it)
  --parallel MODE        how threads share the work: auto | data (a model replica and a
                         shard of each batch per thread) | xnnpack (convolutions split)

WebGPU (Dawn) options, machine settings rather than run config:
  --webgpu-adapter NAME  the adapter to use, by name (a wrong name lists the available ones;
                         env KERV_WEBGPU_ADAPTER)
  --webgpu-backend API   vulkan | metal | d3d12 | d3d11 | opengl | opengles | null
                         (env KERV_WEBGPU_BACKEND; default: the platform's)
  --webgpu-speed-toggles Dawn without validation, robustness checks and workgroup-memory
                         zeroing: faster, unchecked (env KERV_WEBGPU_SPEED_TOGGLES=1)
  --webgpu-submit-batch N  compute dispatches per queue submit (default ${WEBGPU_SUBMIT_BATCH.default}; env KERV_WEBGPU_SUBMIT_BATCH)

Run:
  --checkpoint-dir DIR   write a checkpoint every epoch (and on Ctrl+C) into DIR
  --resume DIR           continue from a checkpoint (its config; flags such as --epochs override)
  --cache-dir DIR        dataset cache (default $KERV_CACHE_DIR, else the workbench's
                         <data folder>/datasets, so the app and the CLI share downloads)
  --data-dir DIR         the workbench data folder the run is recorded in (default $KERV_DATA_DIR
                         or ~/.local/share/kerv): it appears in \`kerv runs list\`, the app and exports
  --no-record            do not record the run in the workbench (nothing is written but
                         --checkpoint-dir and --summary-json)
  --summary-json FILE    write the outcome, summary and per-epoch metrics as JSON
`;

const RUN_FLAG_OPTIONS = {
  config: { type: 'string' },
  'checkpoint-dir': { type: 'string' },
  resume: { type: 'string' },
  'cache-dir': { type: 'string' },
  'data-dir': { type: 'string' },
  'no-record': { type: 'boolean' },
  'summary-json': { type: 'string' },
  'webgpu-adapter': { type: 'string' },
  'webgpu-backend': { type: 'string' },
  'webgpu-speed-toggles': { type: 'boolean' },
  'webgpu-submit-batch': { type: 'string' },
} as const;

/** The dataset cache: the workbench's own, so a dataset downloaded in the app serves `kerv train` too. */
export function defaultCacheDir(dataDirFlag?: string, env: NodeJS.ProcessEnv = process.env): string {
  return env.KERV_CACHE_DIR ? resolve(env.KERV_CACHE_DIR) : dataPaths(resolveDataDir(dataDirFlag, env)).datasetsDir;
}

const count = (v: number) => v.toLocaleString('en-US');

function describeRun(config: RunConfig): string {
  const k = config.model.kernel;
  const kernelParams = Object.entries(k)
    .filter(([key]) => key !== 'type')
    .map(([key, v]) => `${key}=${String(v)}`)
    .join(' ');
  const kernel = kernelParams ? `${k.type} ${kernelParams}` : k.type;
  const o = config.optimizer;
  return `${config.dataset.name}, ${config.model.arch} ×${config.model.widthMultiplier} (${kernel}), ${plural(config.epochs, 'epoch')}, batch ${config.batchSize}, ${o.type} lr ${o.lr} (${config.schedule.type}), seed ${config.seed}`;
}

/** Turns progress messages into terminal output and keeps what the summary JSON needs. */
class TrainPrinter {
  readonly epochs: EpochMetrics[] = [];
  environment: RunEnvironment | null = null;
  dataset: DatasetInfo | null = null;
  parameterCount: number | null = null;
  private stepsPerEpoch = 0;
  private readonly bar = new ProgressBar(process.stdout);

  constructor(private readonly config: RunConfig) {}

  handle = (p: TrainProgress): void => {
    switch (p.type) {
      case 'started': {
        this.environment = p.environment;
        this.dataset = p.dataset;
        this.parameterCount = p.parameterCount;
        this.stepsPerEpoch = p.stepsPerEpoch;
        const e = p.environment;
        console.log(`Backend: ${e.backend} on ${e.device}, ${describeThreadLayout(e.threads, e.parallel, this.config.batchSize)} (tfjs ${e.tfjsVersion})`);
        console.log(`Model: ${this.config.model.arch}, ${count(p.parameterCount)} parameters`);
        const d = p.dataset;
        console.log(`Data: ${d.name} ${d.inputShape.join('×')}, ${count(d.trainSize)} train / ${count(d.validationSize)} validation / ${count(d.testSize)} test, ${p.stepsPerEpoch} steps per epoch (fingerprint ${d.fingerprint})`);
        break;
      }
      case 'steps': {
        const last = p.steps[p.steps.length - 1];
        const inEpoch = last.step - (last.epoch - 1) * this.stepsPerEpoch;
        this.bar.update({
          label: `Epoch ${last.epoch}/${this.config.epochs}`,
          done: inEpoch,
          total: this.stepsPerEpoch,
          detail: `loss ${last.loss.toFixed(4)}  acc ${formatPercent(last.accuracy, 1)}  ${Math.round(last.imagesPerSecond)} img/s`,
        });
        break;
      }
      case 'epoch': {
        this.bar.end();
        const m = p.metrics;
        this.epochs.push(m);
        console.log(epochLine(m, this.config.epochs));
        break;
      }
      case 'checkpoint':
        console.log(`Checkpoint: ${p.path}`);
        break;
      case 'log':
        this.bar.end();
        (p.level === 'info' ? console.log : console.error)(`${p.level === 'info' ? '' : `${p.level}: `}${p.message}`);
        break;
      case 'completed':
        console.log(`Done: ${summaryLine(p.summary)}`);
        break;
    }
  };

  finish(): void {
    this.bar.end();
  }
}

interface Resumed {
  /** The checkpoint's config, the base the flags override. */
  base: Record<string, unknown> | null;
  /** Where this run writes its checkpoints: --checkpoint-dir, else where the resumed ones are. */
  checkpointDir?: string;
  /** The folder of step-N checkpoints DIR names or is, and the step of the checkpoint it resolves to. */
  source?: { dir: string; step: number };
}

async function resolveResume(resume: string | undefined, checkpointDir: string | undefined): Promise<Resumed> {
  if (!resume) return { base: null, checkpointDir };
  let found: Awaited<ReturnType<typeof readCheckpointState>>;
  try {
    found = await readCheckpointState(resume);
  } catch (error) {
    throw new CliError(`--resume: ${(error as Error).message.replace(/^resumeFrom: /, '')}`);
  }
  const source = resolve(found.path) === resolve(resume) ? dirname(found.path) : resume;
  // --resume DIR continues writing checkpoints where they were, unless told otherwise.
  return { base: found.state.config as unknown as Record<string, unknown>, checkpointDir: checkpointDir ?? source, source: { dir: resolve(source), step: found.state.step } };
}

/**
 * The run's record. `--resume DIR` of a run recorded in this data folder continues
 * that run (its number, its history up to the checkpoint, through the service's
 * resume); a DIR that no recorded run checkpoints in, or a completed run's, is
 * recorded as a new run. The terminal says which.
 */
function startRecording(workbench: Workbench, config: RunConfig, resume: string | undefined, checkpointDirFlag: string | undefined, resumed: Resumed): { recording: RunRecording; resumeFrom?: string } {
  const root = workbench.paths.root;
  if (!resume || !resumed.source) {
    const recording = workbench.recordRun(config, 'kerv train', checkpointDirFlag);
    console.log(`Recorded as run ${recording.id} in ${root}`);
    return { recording };
  }
  const { dir, step } = resumed.source;
  const owner = workbench.runOfCheckpointDir(dir);
  if (owner && owner.status !== 'completed') {
    if (checkpointDirFlag && resolve(checkpointDirFlag) !== dir) {
      throw new CliError(`--checkpoint-dir: run ${owner.id} keeps its checkpoints in ${dir}; leave --checkpoint-dir out to continue it there`);
    }
    let continued: ReturnType<Workbench['continueRun']>;
    try {
      continued = workbench.continueRun(owner.id, dir, config, step);
    } catch (error) {
      throw new CliError(`--resume: ${(error as Error).message}`, exitCodeOf(error));
    }
    const from = continued.resumeFrom ? `from ${continued.resumeFrom}` : 'from step 0: it has no usable checkpoint at or before its recorded progress';
    console.log(`Continuing run ${owner.id} in ${root}, ${from}`);
    return { recording: continued.recording, resumeFrom: continued.resumeFrom ?? undefined };
  }
  const recording = workbench.recordRun(config, `kerv train --resume ${resume}`, resumed.checkpointDir);
  const why = owner ? `run ${owner.id}, whose checkpoints these are, is completed` : `${dir} holds no recorded run’s checkpoints`;
  console.log(`Recorded as run ${recording.id} in ${root}: a new run, since ${why}`);
  return { recording, resumeFrom: resume };
}

async function run(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, { ...CONFIG_FLAG_OPTIONS, ...KERNEL_PARAM_FLAG_OPTIONS, ...RUN_FLAG_OPTIONS });
  const resumed = await resolveResume(values.resume, values['checkpoint-dir']);
  const base = values.config ? readConfigFile(values.config) : (resumed.base ?? {});
  const config = buildRunConfig(base, values);
  const cacheDir = values['cache-dir'] ? resolve(values['cache-dir']) : defaultCacheDir(values['data-dir']);
  const webgpuBackend = values['webgpu-backend'];
  if (webgpuBackend !== undefined && !(DAWN_BACKENDS as readonly string[]).includes(webgpuBackend)) {
    throw new CliError(`--webgpu-backend must be one of ${DAWN_BACKENDS.join(', ')}, got ${JSON.stringify(webgpuBackend)}`, EXIT.usage);
  }
  const submitBatch = values['webgpu-submit-batch'];
  const submitBatchSize = submitBatch === undefined ? undefined : Number(submitBatch);
  if (submitBatchSize !== undefined && !(Number.isInteger(submitBatchSize) && submitBatchSize >= WEBGPU_SUBMIT_BATCH.min && submitBatchSize <= WEBGPU_SUBMIT_BATCH.max)) {
    throw new CliError(`--webgpu-submit-batch must be an integer from ${WEBGPU_SUBMIT_BATCH.min} to ${WEBGPU_SUBMIT_BATCH.max}, got ${JSON.stringify(submitBatch)}`, EXIT.usage);
  }
  const webgpu = {
    ...(values['webgpu-adapter'] ? { adapter: values['webgpu-adapter'] } : {}),
    ...(webgpuBackend ? { backend: webgpuBackend } : {}),
    ...(values['webgpu-speed-toggles'] ? { speedToggles: true } : {}),
    ...(submitBatchSize !== undefined ? { submitBatchSize } : {}),
  };

  console.log(`kerv train: ${describeRun(config)}`);
  // Recorded like any other run (issue: CLI runs were invisible to the workbench), unless --no-record.
  const workbench = values['no-record'] ? null : await openWorkbench(values['data-dir'], { redisUrl: null });
  let recorded: ReturnType<typeof startRecording> | null;
  try {
    recorded = workbench ? startRecording(workbench, config, values.resume, values['checkpoint-dir'], resumed) : null;
  } catch (error) {
    await workbench?.close();
    throw error;
  }
  const recording = recorded?.recording ?? null;
  const resumeFrom = recorded ? recorded.resumeFrom : values.resume;
  // Without --checkpoint-dir a recorded run checkpoints where the workbench keeps its runs' (`kerv runs resume` finds them).
  const checkpointDir = resumed.checkpointDir ?? recording?.checkpointDir;
  if (checkpointDir) mkdirSync(checkpointDir, { recursive: true });
  const printer = new TrainPrinter(config);
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(EXIT.interrupted); // a second Ctrl+C: stop now
    printer.finish();
    console.error('Interrupted: stopping after the current step (Ctrl+C again to quit at once).');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  let outcome: TrainOutcome;
  try {
    outcome = await train(config, {
      onProgress: (p) => {
        printer.handle(p);
        recording?.progress(p);
      },
      signal: controller.signal,
      checkpointDir,
      resumeFrom,
      cacheDir,
      backend: { webgpu },
    });
  } catch (error) {
    printer.finish();
    recording?.fail((error as Error).message);
    await workbench?.close();
    throw new CliError(`train failed: ${(error as Error).message}`, EXIT.failed);
  } finally {
    process.off('SIGINT', onSigint);
  }
  printer.finish();
  recording?.complete(outcome);
  await workbench?.close();
  if (recording?.writeError) console.error(`warning: run ${recording.id} is recorded only in part: ${recording.writeError}`);

  if (values['summary-json']) {
    const file = resolve(values['summary-json']);
    mkdirSync(dirname(file), { recursive: true });
    const summary = outcome.status === 'completed' ? outcome.summary : null;
    writeFileSync(
      file,
      JSON.stringify({ outcome, summary, config, environment: printer.environment, dataset: printer.dataset, parameterCount: printer.parameterCount, epochs: printer.epochs }, null, 2),
    );
  }
  if (outcome.status === 'diverged') {
    console.error(`Diverged: ${outcome.reason}.`);
    return EXIT.failed;
  }
  if (outcome.status === 'cancelled') {
    const how = recording && !resumed.checkpointDir ? ` Resume with: kerv runs resume ${recording.id}` : checkpointDir ? ` Resume with: kerv train --resume ${checkpointDir}` : '';
    console.error(`Cancelled at epoch ${outcome.epoch}, step ${outcome.step}.${how}`);
    return EXIT.interrupted;
  }
  return EXIT.ok;
}

const command: CliCommand = { name: 'train', summary: 'train one model (flags or --config run.json)', usage, run };
export default command;
