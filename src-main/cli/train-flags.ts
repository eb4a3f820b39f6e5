// `kerv train` flags → a run config input. Flags override a --config file field by
// field; everything is then validated as the service validates a run's config
// (parseServiceRunConfig: the schema, the architecture's convolutions, the
// dataset's sizes), so a bad value is reported with the config field it belongs
// to and what is allowed (exit code 2).
import { readRegularFile } from '../engine/safe-files';
import { assertPlainJson } from '../shared/untrusted-json';
import { CliError, EXIT } from './command';
import { ConfigError, type RunConfig } from '../shared/run-config';
import { parseServiceRunConfig } from '../service/run-validation';
import { describeParamField, KERNEL_TYPES, kernelDeclaration, kernelParamFields, kernelsWithLearnableParams } from '../shared/kernels/index';

type Json = Record<string, unknown>;

/** node:util parseArgs options of every config flag: all strings, converted below. */
export const CONFIG_FLAG_OPTIONS = {
  name: { type: 'string' },
  dataset: { type: 'string' },
  'data-path': { type: 'string' },
  'image-size': { type: 'string' },
  augment: { type: 'string' },
  arch: { type: 'string' },
  width: { type: 'string' },
  kernel: { type: 'string' },
  'kernel-learnable': { type: 'string' },
  'kerv-layers': { type: 'string' },
  'kerv-norm': { type: 'string' },
  'kerv-activation': { type: 'string' },
  epochs: { type: 'string' },
  'batch-size': { type: 'string' },
  lr: { type: 'string' },
  optimizer: { type: 'string' },
  momentum: { type: 'string' },
  nesterov: { type: 'boolean' },
  'weight-decay': { type: 'string' },
  schedule: { type: 'string' },
  warmup: { type: 'string' },
  'min-lr': { type: 'string' },
  milestones: { type: 'string' },
  seed: { type: 'string' },
  backend: { type: 'string' },
  threads: { type: 'string' },
  parallel: { type: 'string' },
  'train-subset': { type: 'string' },
  'test-subset': { type: 'string' },
  'val-fraction': { type: 'string' },
  'label-smoothing': { type: 'string' },
  clip: { type: 'string' },
  samples: { type: 'string' },
  'early-stopping': { type: 'string' },
  'early-stopping-metric': { type: 'string' },
  'min-delta': { type: 'string' },
  'test-last-epoch': { type: 'boolean' },
} as const;

/** --kernel-<param> for every parameter any registered kernel declares (shared/kernels/). */
export const KERNEL_PARAM_FLAG_OPTIONS: Record<string, { type: 'string' }> = Object.fromEntries(
  kernelParamFields().map((field) => [field.flag, { type: 'string' as const }]),
);

export type ConfigFlagValues = { [K in keyof typeof CONFIG_FLAG_OPTIONS]?: (typeof CONFIG_FLAG_OPTIONS)[K]['type'] extends 'boolean' ? boolean : string } & {
  [kernelFlag: string]: string | boolean | undefined;
};

/** The kernel lines of `kerv train --help`, from the registry. */
export function kernelFlagsHelp(): string {
  const flagWidth = 23;
  const line = (flag: string, text: string) => `  ${flag.padEnd(flagWidth)}${text}`;
  return [
    line('--kernel TYPE', KERNEL_TYPES.join(' | ')),
    ...kernelParamFields().map((field) => line(`--${field.flag} ${field.auto ? 'auto|' : ''}${field.kind === 'integer' ? 'N' : 'F'}`, describeParamField(field))),
    line('--kernel-learnable M', `train the kernel's parameters: none | scalar (one per layer) | channel (one per output channel);`),
    line('', `sweep them: kerv sweep --grid model.kernel.gamma=0.1,1,10 --grid model.kernel.learnable=false,scalar,channel`),
    line('', `learnable: ${kernelsWithLearnableParams().map((type) => `${type} ${kernelDeclaration(type).learnableParams.join(', ')}`).join('; ')}`),
  ].join('\n');
}

/** A number when the text is one; otherwise the text itself, so the schema reports the field as "expected number". */
function numeric(text: string): number | string {
  const trimmed = text.trim();
  const value = Number(trimmed);
  return trimmed !== '' && Number.isFinite(value) ? value : text;
}

export const KERV_LAYERS_HELP = 'all | stem | N (the first N convs) | i,j,k (conv indices, 0-based) | i, (conv i alone)';

/**
 * all | stem | N (the first N) | i,j,k (indices). A comma makes a list, so one index
 * is written with a trailing comma ("2,", like Python's one-element tuple): a bare
 * "2" keeps meaning the first two, as it always has.
 */
export function parseKervLayers(text: string): 'all' | 'stem' | number | number[] {
  const flat = text.replace(/\s+/g, '');
  if (flat === 'all' || flat === 'stem') return flat;
  if (/^\d+$/.test(flat) && Number(flat) >= 1) return Number(flat);
  if (flat.includes(',') && /^\d+(,\d+)*,?$/.test(flat)) return flat.split(',').filter(Boolean).map(Number);
  const hint = flat === '0' ? ' (N counts convolutions from the first, so it is at least 1; convolution 0 alone is "0,")' : '';
  throw new CliError(`--kerv-layers must be one of: ${KERV_LAYERS_HELP}; got '${text}'${hint}`);
}

function setPath(target: Json, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    if (typeof node[key] !== 'object' || node[key] === null || Array.isArray(node[key])) node[key] = {};
    node = node[key] as Json;
  }
  node[path[path.length - 1]] = value;
}

/** Flag name → config path and value conversion. */
const FIELD_FLAGS: [keyof ConfigFlagValues, string, (v: string) => unknown][] = [
  ['name', 'name', (v) => v],
  ['dataset', 'dataset.name', (v) => v],
  ['data-path', 'dataset.path', (v) => v],
  ['image-size', 'dataset.imageSize', numeric],
  ['augment', 'dataset.augment', (v) => v],
  ['train-subset', 'dataset.trainSubset', numeric],
  ['test-subset', 'dataset.testSubset', numeric],
  ['val-fraction', 'dataset.validationFraction', numeric],
  ['arch', 'model.arch', (v) => v],
  ['width', 'model.widthMultiplier', numeric],
  ['kerv-layers', 'model.kervLayers', parseKervLayers],
  ['kerv-norm', 'model.kervNorm', (v) => v],
  ['kerv-activation', 'model.kervActivation', (v) => v],
  ['epochs', 'epochs', numeric],
  ['batch-size', 'batchSize', numeric],
  ['lr', 'optimizer.lr', numeric],
  ['optimizer', 'optimizer.type', (v) => v],
  ['momentum', 'optimizer.momentum', numeric],
  ['weight-decay', 'optimizer.weightDecay', numeric],
  ['schedule', 'schedule.type', (v) => v],
  ['warmup', 'schedule.warmupEpochs', numeric],
  ['min-lr', 'schedule.minLr', numeric],
  ['milestones', 'schedule.milestones', (v) => v.split(',').map(numeric)],
  ['seed', 'seed', numeric],
  ['backend', 'backend', (v) => v],
  ['threads', 'threads', (v) => (v.trim() === 'auto' ? 'auto' : numeric(v))],
  ['parallel', 'parallel', (v) => v],
  ['label-smoothing', 'labelSmoothing', numeric],
  ['clip', 'gradClipNorm', (v) => (v === 'none' ? null : numeric(v))],
  ['samples', 'sampleCount', numeric],
  // Any of these switches early stopping on (the schema fills the others' defaults).
  ['early-stopping', 'earlyStopping.patience', numeric],
  ['early-stopping-metric', 'earlyStopping.metric', (v) => v],
  ['min-delta', 'earlyStopping.minDelta', numeric],
];

/** A config file: a regular file within MAX_CONFIG_FILE_BYTES (never /dev/zero or a pipe), a JSON object with no prototype keys. */
export function readConfigFile(file: string, flag = '--config'): Json {
  let text: string;
  try {
    text = readRegularFile(file, 'MAX_CONFIG_FILE_BYTES', flag).toString('utf8');
  } catch (error) {
    throw new CliError(`${flag}: cannot read '${file}': ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text) as unknown;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('expected a JSON object');
  } catch (error) {
    throw new CliError(`${flag}: '${file}' is not a run config (a JSON object): ${(error as Error).message}`);
  }
  try {
    assertPlainJson(parsed, `${flag} ${file}`);
  } catch (error) {
    throw new CliError((error as Error).message);
  }
  return parsed as Json;
}

/**
 * The run config from a base (a --config file or a checkpoint's config), the
 * environment (KERV_BACKEND, between the file and the flags) and the flags.
 */
export function buildRunConfig(base: Json, flags: ConfigFlagValues, env: NodeJS.ProcessEnv = process.env): RunConfig {
  const input = structuredClone(base);
  if (env.KERV_BACKEND) setPath(input, ['backend'], env.KERV_BACKEND);
  for (const [flag, path, convert] of FIELD_FLAGS) {
    const value = flags[flag];
    if (typeof value === 'string') setPath(input, path.split('.'), convert(value));
  }
  if (flags.nesterov) setPath(input, ['optimizer', 'nesterov'], true);
  if (flags['test-last-epoch']) setPath(input, ['earlyStopping', 'restoreBest'], false);
  applyKernelFlags(input, flags);
  try {
    return parseServiceRunConfig(input);
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(error.message, EXIT.usage);
    throw error;
  }
}

/** --kernel replaces the kernel; --kernel-<param> and --kernel-learnable set its parameters (on the file's kernel when --kernel is absent). */
function applyKernelFlags(input: Json, flags: ConfigFlagValues): void {
  const params: Json = {};
  for (const field of kernelParamFields()) {
    const value = flags[field.flag];
    if (typeof value === 'string') params[field.name] = value.trim() === 'auto' ? 'auto' : numeric(value);
  }
  const learnable = flags['kernel-learnable'];
  if (typeof learnable === 'string') params.learnable = ['none', 'false', 'off'].includes(learnable) ? false : learnable;
  if (flags.kernel === undefined && Object.keys(params).length === 0) return;
  const model = (input.model ?? {}) as Json;
  const previous = typeof model.kernel === 'object' && model.kernel !== null ? (model.kernel as Json) : {};
  const kernel = flags.kernel !== undefined ? { type: flags.kernel, ...params } : { type: previous.type ?? 'linear', ...previous, ...params };
  setPath(input, ['model', 'kernel'], kernel);
}
