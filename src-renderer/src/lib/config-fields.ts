// The new-run form, as data: every run-config field with how it is edited. The
// enums come from the shared schema so the form cannot offer a value the service
// would refuse.
import {
  ARCHITECTURES,
  AUGMENTATIONS,
  BACKENDS,
  DATASETS,
  EARLY_STOPPING_METRICS,
  KERV_ACTIVATIONS,
  KERV_NORMS,
  OPTIMIZERS,
  SCHEDULES,
  earlyStoppingConfigSchema,
} from '../../../src-main/shared/run-config';
import {
  KERNEL_TYPES,
  defaultKernelSpec,
  kernelParamFields,
  kernelsWithLearnableParams,
  type KernelType,
} from '../../../src-main/shared/kernels/index';
import { LEARNABLE_MODES } from '../../../src-main/shared/kernels/define';
import { DATASET_SPECS, isDatasetName } from '../../../src-main/shared/datasets';
import { getPath } from '../../../src-main/shared/config-paths';
import { PARALLEL_MODES } from '../../../src-main/shared/parallelism';

export type FieldKind =
  | 'number'
  | 'integer'
  | 'optional-integer'
  | 'nullable-number'
  | 'auto-integer'
  | 'auto-number'
  | 'select'
  | 'boolean'
  | 'text'
  | 'integer-list'
  | 'kerv-layers'
  /** An optional part of the config (e.g. earlyStopping), switched on and off: on = its defaults, off = absent. */
  | 'section';

export interface FieldSpec {
  path: string;
  label: string;
  kind: FieldKind;
  options?: readonly string[];
  /** select: the config value of each option when it is not the option's text (e.g. false for 'off'). */
  optionValues?: readonly unknown[];
  hint?: string;
  /** Shown only when this returns true for the current config. */
  when?: (config: Record<string, unknown>) => boolean;
  /** Can be swept over in sweep mode. */
  sweepable?: boolean;
}

export interface FieldGroup {
  title: string;
  fields: FieldSpec[];
}

const kernelType = (config: Record<string, unknown>) => ((config.model as { kernel?: { type?: string } })?.kernel?.type ?? 'linear') as KernelType;

/** The kernel's fields, from the kernel registry: each parameter shows for the kernels that declare it. */
function kernelFields(): FieldSpec[] {
  const learnable = kernelsWithLearnableParams();
  return [
    { path: 'model.kernel.type', label: 'Kernel', kind: 'select', options: KERNEL_TYPES, sweepable: true },
    ...kernelParamFields().map((field): FieldSpec => {
      const types = field.kernels.map((k) => k.type);
      const kind: FieldKind = field.auto ? 'auto-number' : field.kind;
      const hint = field.auto ? `a number or auto (chosen from the data)` : field.kernels[0].param.help;
      return { path: field.path, label: field.label, kind, hint, when: (c) => types.includes(kernelType(c)), sweepable: true };
    }),
    {
      path: 'model.kernel.learnable',
      label: 'Learn parameters',
      kind: 'select',
      options: ['off', 'scalar', 'per channel'],
      optionValues: LEARNABLE_MODES,
      hint: 'train the kernel parameters: one value per layer or per output channel',
      when: (c) => learnable.includes(kernelType(c)),
      sweepable: true,
    },
  ];
}

/** Datasets read in place (image folders) take a path and an image size; the others come from the cache. */
const needsPath = (config: Record<string, unknown>) => {
  const name = (config.dataset as { name?: string })?.name;
  return isDatasetName(name) && DATASET_SPECS[name].needsPath;
};
const optimizerType = (config: Record<string, unknown>) => (config.optimizer as { type?: string })?.type;
const earlyStoppingOn = (config: Record<string, unknown>) => config.earlyStopping !== undefined && config.earlyStopping !== null;

/** The defaults of the optional sections, which the defaulted config does not hold (they are absent until switched on). */
const SECTION_DEFAULTS: Record<string, unknown> = { earlyStopping: earlyStoppingConfigSchema.parse({}) };
const scheduleType = (config: Record<string, unknown>) => (config.schedule as { type?: string })?.type;

export const FIELD_GROUPS: FieldGroup[] = [
  {
    title: 'Run',
    fields: [
      { path: 'name', label: 'Name', kind: 'text', hint: 'optional' },
      // Not a sweep field: a sweep's seeds are its "Repeat seeds" (the service refuses seed in a grid).
      { path: 'seed', label: 'Seed', kind: 'integer' },
      { path: 'backend', label: 'Backend', kind: 'select', options: BACKENDS },
      { path: 'threads', label: 'CPU threads', kind: 'auto-integer', hint: 'auto = the cores the queue gives this run' },
      { path: 'parallel', label: 'Thread layout', kind: 'select', options: PARALLEL_MODES, hint: 'data = a model replica and a shard of each batch per thread (auto); xnnpack = convolutions split over a pool' },
      { path: 'epochs', label: 'Epochs', kind: 'integer', sweepable: true },
      { path: 'batchSize', label: 'Batch size', kind: 'integer', sweepable: true },
      { path: 'gradClipNorm', label: 'Gradient clip norm', kind: 'nullable-number', hint: 'empty = no clipping' },
      { path: 'labelSmoothing', label: 'Label smoothing', kind: 'number', sweepable: true },
      { path: 'sampleCount', label: 'Sample images', kind: 'integer', hint: 'fixed validation images shown with predictions' },
    ],
  },
  {
    title: 'Dataset',
    fields: [
      { path: 'dataset.name', label: 'Dataset', kind: 'select', options: DATASETS, sweepable: true },
      { path: 'dataset.path', label: 'Path', kind: 'text', hint: 'folder with one sub-folder per class', when: needsPath },
      { path: 'dataset.imageSize', label: 'Image size', kind: 'integer', when: needsPath },
      { path: 'dataset.trainSubset', label: 'Train subset', kind: 'optional-integer', hint: 'first N training images; empty = all', sweepable: true },
      { path: 'dataset.testSubset', label: 'Test subset', kind: 'optional-integer', hint: 'empty = all' },
      { path: 'dataset.validationFraction', label: 'Validation fraction', kind: 'number' },
      { path: 'dataset.augment', label: 'Augmentation', kind: 'select', options: AUGMENTATIONS, sweepable: true },
      { path: 'dataset.normalize', label: 'Normalize', kind: 'boolean' },
    ],
  },
  {
    title: 'Model',
    fields: [
      { path: 'model.arch', label: 'Architecture', kind: 'select', options: ARCHITECTURES, sweepable: true },
      { path: 'model.widthMultiplier', label: 'Width multiplier', kind: 'number', sweepable: true },
      { path: 'model.kervLayers', label: 'Kervolution layers', kind: 'kerv-layers', hint: "'all', 'stem', first N, or indices like 0,2" },
      { path: 'model.kervNorm', label: 'Norm after them', kind: 'select', options: KERV_NORMS, hint: 'batch norm after each kervolution layer (Gaussian LeNet-5: +3.5 points)', sweepable: true },
      {
        path: 'model.kervActivation',
        label: 'Activation after them',
        kind: 'select',
        options: KERV_ACTIVATIONS,
        hint: "arch = the architecture's own (LeNet-5: tanh)",
        sweepable: true,
      },
      ...kernelFields(),
    ],
  },
  {
    title: 'Optimizer',
    fields: [
      { path: 'optimizer.type', label: 'Optimizer', kind: 'select', options: OPTIMIZERS, sweepable: true },
      { path: 'optimizer.lr', label: 'Learning rate', kind: 'number', sweepable: true },
      { path: 'optimizer.momentum', label: 'Momentum', kind: 'number', when: (c) => optimizerType(c) === 'sgd', sweepable: true },
      { path: 'optimizer.nesterov', label: 'Nesterov', kind: 'boolean', when: (c) => optimizerType(c) === 'sgd' },
      { path: 'optimizer.weightDecay', label: 'Weight decay', kind: 'number', sweepable: true },
      { path: 'optimizer.beta1', label: 'β1', kind: 'number', when: (c) => optimizerType(c) !== 'sgd' },
      { path: 'optimizer.beta2', label: 'β2', kind: 'number', when: (c) => optimizerType(c) !== 'sgd' },
      { path: 'optimizer.epsilon', label: 'ε', kind: 'number', when: (c) => optimizerType(c) !== 'sgd' },
    ],
  },
  {
    title: 'Schedule',
    fields: [
      { path: 'schedule.type', label: 'Schedule', kind: 'select', options: SCHEDULES, sweepable: true },
      { path: 'schedule.warmupEpochs', label: 'Warm-up epochs', kind: 'number' },
      { path: 'schedule.milestones', label: 'Milestones', kind: 'integer-list', hint: 'epochs, e.g. 30, 60', when: (c) => scheduleType(c) === 'step' },
      { path: 'schedule.factor', label: 'Factor', kind: 'number', when: (c) => scheduleType(c) === 'step' },
      { path: 'schedule.minLr', label: 'Minimum rate', kind: 'number', when: (c) => scheduleType(c) === 'cosine' || scheduleType(c) === 'one-cycle' },
    ],
  },
  {
    title: 'Early stopping',
    fields: [
      { path: 'earlyStopping', label: 'Early stopping', kind: 'section', hint: 'stop when the validation metric stops improving' },
      { path: 'earlyStopping.metric', label: 'Watch', kind: 'select', options: EARLY_STOPPING_METRICS, when: earlyStoppingOn },
      { path: 'earlyStopping.patience', label: 'Patience (epochs)', kind: 'integer', hint: 'epochs without an improvement', when: earlyStoppingOn, sweepable: true },
      { path: 'earlyStopping.minDelta', label: 'Min. improvement', kind: 'number', hint: 'accuracy as a fraction, or loss', when: earlyStoppingOn, sweepable: true },
      { path: 'earlyStopping.restoreBest', label: 'Test the best epoch', kind: 'boolean', hint: 'test set on the best epoch, not the last', when: earlyStoppingOn },
    ],
  },
];

export const ALL_FIELDS = FIELD_GROUPS.flatMap((g) => g.fields);
export const FIELD_PATHS = ALL_FIELDS.map((f) => f.path);
export const SWEEPABLE_FIELDS = ALL_FIELDS.filter((f) => f.sweepable);

/** A kernel spec of the given type with the schema's own defaults for its parameters. */
export function defaultKernel(type: KernelType): Record<string, unknown> {
  return defaultKernelSpec(type) as Record<string, unknown>;
}

/** The default a field shows: for a kernel parameter, the current kernel type's own (gaussian γ: auto). */
export function fieldDefault(path: string, config: Record<string, unknown>, defaults: unknown): unknown {
  if (path.startsWith('model.kernel.') && path !== 'model.kernel.type') return getPath({ model: { kernel: defaultKernel(kernelType(config)) } }, path);
  const section = path.split('.')[0];
  if (section in SECTION_DEFAULTS && path !== section) return getPath(SECTION_DEFAULTS, path);
  return getPath(defaults, path);
}

/** What an optional section holds when it is switched on: its schema's defaults. */
export function sectionDefaults(path: string): Record<string, unknown> {
  return { ...(SECTION_DEFAULTS[path] as Record<string, unknown>) };
}

/** What the form shows for a config value. */
export function toInputText(kind: FieldKind, value: unknown): string {
  if (kind === 'section') return value === undefined || value === null ? 'off' : 'on';
  if (value === undefined || value === null) return '';
  if (kind === 'integer-list' || (kind === 'kerv-layers' && Array.isArray(value))) return (value as unknown[]).join(', ');
  return String(value);
}

/**
 * What the config gets for what was typed. Text that is not a number is passed
 * on as text so the service's validation names the field and what it expects,
 * rather than the form silently dropping it.
 */
export function fromInputText(kind: FieldKind, text: string): unknown {
  const trimmed = text.trim();
  const asNumber = (t: string) => (t !== '' && Number.isFinite(Number(t)) ? Number(t) : t);
  switch (kind) {
    case 'number':
    case 'integer':
      return asNumber(trimmed);
    case 'optional-integer':
      return trimmed === '' ? undefined : asNumber(trimmed);
    case 'nullable-number':
      return trimmed === '' ? null : asNumber(trimmed);
    case 'auto-integer':
    case 'auto-number':
      return trimmed === '' || trimmed === 'auto' ? 'auto' : asNumber(trimmed);
    case 'text':
      return trimmed === '' ? undefined : text;
    case 'integer-list':
      return trimmed === '' ? [] : trimmed.split(/[\s,]+/).filter(Boolean).map(asNumber);
    case 'kerv-layers':
      if (trimmed === 'all' || trimmed === 'stem') return trimmed;
      if (/^\d+$/.test(trimmed)) return Number(trimmed);
      if (/^\[?[\d\s,]*\]?$/.test(trimmed)) return trimmed.replace(/[[\]]/g, '').split(/[\s,]+/).filter(Boolean).map(Number);
      return trimmed;
    default:
      return text;
  }
}

/** The config value of a select option, given its text or the text of its value ('per channel' or 'channel'). */
export function selectValue(field: FieldSpec, text: string): unknown {
  if (!field.optionValues || !field.options) return text;
  const i = field.options.indexOf(text);
  if (i >= 0) return field.optionValues[i];
  const byValue = field.optionValues.find((v) => String(v) === text);
  return byValue === undefined ? text : byValue;
}

/** What a select shows for a config value: the option's text. */
export function selectText(field: FieldSpec, value: unknown): string {
  const i = field.optionValues ? field.optionValues.findIndex((v) => v === value) : -1;
  return i >= 0 && field.options ? field.options[i] : String(value ?? '');
}

/** Parses "0.1, 0.01" into sweep values of the field's kind. */
export function parseSweepValues(field: FieldSpec, text: string): unknown[] {
  return text
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '')
    .map((t) => (field.kind === 'boolean' ? t === 'true' : field.kind === 'select' ? selectValue(field, t) : fromInputText(field.kind, t)));
}

/** Runs a sweep starts: the grid's size (or the random draws) times the repeats. */
export function sweepRunCount(grid: Record<string, unknown[]>, repeats: number, randomDraws?: number): number {
  const size = Object.values(grid).reduce((n, values) => n * Math.max(1, values.length), 1);
  return (randomDraws ? Math.min(randomDraws, size) : size) * Math.max(1, repeats);
}
