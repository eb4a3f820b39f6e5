// The run configuration: one zod schema, with defaults, shared by the engine, the
// service, the CLI and the UI. The TypeScript types are inferred from the schema so
// they cannot drift. A bad value is rejected with the field path and the allowed
// values (see formatConfigError).
import { z } from 'zod';
import { WorkbenchError } from './errors';
import { readableIssue } from './issue-text';
import { DATASET_SPECS, DATASETS, DEFAULT_IMAGE_SIZE, defaultImageSize } from './datasets';
import { KERNEL_TYPES, kernelSpecSchema } from './kernels/index';
import { PARALLEL_MODES } from './parallelism';

// Kernels are declared one per file in shared/kernels/ (the registry).
export { KERNEL_TYPES, kernelSpecSchema } from './kernels/index';
export type { KernelSpec, KernelSpecInput, KernelType } from './kernels/index';

export const ARCHITECTURES = [
  'mlp',
  'convnet',
  'convbn',
  'resnet-small',
  'cifar-cnn',
  'lenet5',
  'resnet18',
  'resnet34',
] as const;
export type ArchitectureName = (typeof ARCHITECTURES)[number];

// The datasets are declared in shared/datasets.ts (one table: names, labels, shapes).
export { DATASETS, type DatasetName } from './datasets';

/** 'auto' = the best available, in this order (engine/backend/select-backend.ts); webgpu only on a hardware GPU. */
export const BACKENDS = ['auto', 'tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKENDS)[number];
/** Dawn's native APIs under the webgpu backend (its `backend=` option). */
export const DAWN_BACKENDS = ['vulkan', 'metal', 'd3d12', 'd3d11', 'opengl', 'opengles', 'null'] as const;
/** Machine settings of the webgpu backend, not part of an experiment: unset = Dawn's own choice. */
export interface WebGpuOptions {
  /** An adapter name as Dawn lists it (e.g. 'NVIDIA H100 80GB HBM3'); a wrong one fails listing the available ones. */
  adapter?: string;
  /** Dawn's native API, one of DAWN_BACKENDS. */
  backend?: string;
  /**
   * Exact GPU timestamps for profiling: Dawn's unsafe APIs on and its timestamp
   * quantisation (to 65 µs) off. For bench:gpu --profile, never for a run.
   */
  profiling?: boolean;
  /**
   * Dawn's speed toggles, as ONNX Runtime's WebGPU provider sets them: no validation
   * of commands, no bounds checks in shaders, no zeroing of workgroup memory. Less
   * host time per dispatch and faster shaders; a kernel bug then reads out of bounds
   * instead of failing. Off by default and in tests.
   */
  speedToggles?: boolean;
  /** Compute dispatches recorded per queue submit (default WEBGPU_SUBMIT_BATCH; tfjs's own is 15). */
  submitBatchSize?: number;
  /** Cache uniform buffers by content across dispatches (default on; off = tfjs 4.22's behaviour, to measure the difference). */
  uniformCache?: boolean;
  /**
   * For measurements only: keep tfjs 4.22's own convolution and matmul kernels
   * instead of this project's GEMM ('naive' or 'mm': which of its input-gradient
   * programs), to compare them on a GPU (bench:gpu --tfjs-gemm).
   */
  tfjsGemm?: 'naive' | 'mm';
}

/** Dispatches per queue submit by default, and the range a setting may take. */
export const WEBGPU_SUBMIT_BATCH = { default: 64, min: 1, max: 1024 } as const;
/** The most runs that may share one GPU. */
export const MAX_GPU_SLOTS = 8;
/** The most runs a machine trains at once (the Concurrency setting). */
export const MAX_CONCURRENCY = 64;

export const OPTIMIZERS = ['sgd', 'adam', 'adamw'] as const;
/** The most fixed sample images a run shows: the size of every dataset's held-out sample pool. */
export const MAX_SAMPLE_COUNT = 256;
export const SCHEDULES = ['constant', 'step', 'cosine', 'one-cycle'] as const;
export const AUGMENTATIONS = ['auto', 'none', 'crop', 'flip', 'crop-flip'] as const;

/** Which convolutions of an architecture become kervolutions. */
export const kervLayersSchema = z.union([
  z.literal('all'),
  z.literal('stem'),
  z.number().int().min(1).describe('the first N convolutions'),
  z.array(z.number().int().min(0)).describe('indices of convolutions, 0-based'),
]);
export type KervLayers = z.infer<typeof kervLayersSchema>;

/** A subset's bound before any dataset is known: the engine indexes images with Int32Array. */
export const MAX_SUBSET = 2 ** 31 - 1;

export const datasetConfigSchema = z
  .object({
    name: z.enum(DATASETS).default('fashion-mnist'),
    /** Folder (or archive) to read from instead of the cache; required for image-folder. */
    path: z.string().min(1).optional(),
    /**
     * The side of the square images the model sees: an image folder's are resized
     * to it; a dataset of fixed size always records its own (see below).
     */
    imageSize: z.number().int().min(8).max(512).default(DEFAULT_IMAGE_SIZE),
    /**
     * Use only the first N training images (after the seeded shuffle); for quick runs.
     * More than the dataset has is refused: by the service for the built-in datasets
     * (subsetIssues in shared/datasets.ts), when the run loads it for an image folder.
     */
    trainSubset: z.number().int().min(10).max(MAX_SUBSET).optional(),
    /** Use only the first N test images. */
    testSubset: z.number().int().min(10).max(MAX_SUBSET).optional(),
    /** Fraction of the training set held out for validation (seeded split). */
    validationFraction: z.number().min(0).max(0.5).default(0.1),
    /** 'auto' = random crop + horizontal flip for natural images, none for digits and clothing. */
    augment: z.enum(AUGMENTATIONS).default('auto'),
    /** Per-channel normalisation with statistics computed on the training split. */
    normalize: z.boolean().default(true),
  })
  .strict()
  // A dataset of fixed size (MNIST 28, CIFAR-10 32) is never resized, so its config
  // records the size it really has, whatever was given or stored before (old rows
  // said 32 for 28×28 images); only an image folder's imageSize is a choice.
  .overwrite((dataset) => (DATASET_SPECS[dataset.name].inputShape ? { ...dataset, imageSize: defaultImageSize(dataset.name) } : dataset));
export type DatasetConfig = z.infer<typeof datasetConfigSchema>;

/** model.kervNorm: batch norm after each selected convolution (engine/models/kernelize.ts). */
export const KERV_NORMS = ['none', 'batch'] as const;
/** model.kervActivation: the activation after each selected convolution; 'arch' = the architecture's own. */
export const KERV_ACTIVATIONS = ['arch', 'none', 'tanh', 'relu'] as const;

export const modelConfigSchema = z
  .object({
    arch: z.enum(ARCHITECTURES).default('lenet5'),
    /** Scales the channel/unit count of every layer (0.25 = a quarter of the width). */
    widthMultiplier: z.number().positive().max(8).default(1),
    kernel: kernelSpecSchema.default({ type: 'linear' }),
    kervLayers: kervLayersSchema.default('all'),
    /**
     * Batch norm after each convolution kervLayers selects (before its activation);
     * a linear kernel gets it too, so it is its own control. Convolutions the
     * architecture already normalises (ResNet-18, convbn) are left as they are.
     */
    kervNorm: z.enum(KERV_NORMS).default('none'),
    /**
     * The activation right after each selected convolution (after its batch norm,
     * if any): 'arch' keeps the architecture's (LeNet-5: tanh). A convolution
     * whose activation comes after a residual sum has none right after it and
     * is left as it is.
     */
    kervActivation: z.enum(KERV_ACTIVATIONS).default('arch'),
  })
  .strict();
export type ModelConfig = z.infer<typeof modelConfigSchema>;

// The default recipe (Adam, lr 0.002, cosine to 0) is the one measured to train
// every architecture here, kervolutions included, without tuning: LeNet-5 with a
// polynomial kernel reaches 86.7% on the Fashion-MNIST test set after 1 epoch,
// where SGD at 0.01 with momentum 0.9 diverges within 10 steps on the cubic kernel.
export const optimizerConfigSchema = z
  .object({
    type: z.enum(OPTIMIZERS).default('adam'),
    lr: z.number().positive().max(10).default(0.002),
    momentum: z.number().min(0).max(0.9999).default(0.9),
    nesterov: z.boolean().default(false),
    /** L2 penalty for sgd and adam (coupled); decoupled decay for adamw. */
    weightDecay: z.number().min(0).max(1).default(0),
    beta1: z.number().min(0).max(0.9999).default(0.9),
    beta2: z.number().min(0).max(0.99999).default(0.999),
    epsilon: z.number().positive().default(1e-8),
  })
  .strict();
export type OptimizerConfig = z.infer<typeof optimizerConfigSchema>;

export const scheduleConfigSchema = z
  .object({
    type: z.enum(SCHEDULES).default('cosine'),
    /** Linear warm-up from 0 over this many epochs (fractions allowed). */
    warmupEpochs: z.number().min(0).default(0),
    /** step: epochs at which the rate is multiplied by factor. */
    milestones: z.array(z.number().int().min(1)).default([]),
    factor: z.number().positive().max(1).default(0.1),
    /** cosine / one-cycle: the floor of the rate. */
    minLr: z.number().min(0).default(0),
  })
  .strict();
export type ScheduleConfig = z.infer<typeof scheduleConfigSchema>;

/** earlyStopping.metric: the validation metric whose stalling stops a run. */
export const EARLY_STOPPING_METRICS = ['validationAccuracy', 'validationLoss'] as const;
export type EarlyStoppingMetric = (typeof EARLY_STOPPING_METRICS)[number];

/**
 * Stops a run once the validation metric has not improved by more than
 * minDelta for `patience` epochs in a row (Keras's EarlyStopping, by epoch). The
 * weights of the best epoch are kept (in the checkpoints, so a resumed run keeps
 * them too) and, with restoreBest, the test set is evaluated on them instead of
 * the last epoch's. Absent = train every epoch (and stored configs from before
 * it hash as they did).
 */
export const earlyStoppingConfigSchema = z
  .object({
    metric: z.enum(EARLY_STOPPING_METRICS).default('validationAccuracy'),
    /** Epochs without an improvement before the run stops. */
    patience: z.number().int().min(1).max(1000).default(5),
    /** The smallest change that counts as an improvement (accuracy as a fraction, loss in nats). */
    minDelta: z.number().min(0).max(10).default(0),
    /** Evaluate the test set on the best epoch's weights (true) or the last epoch's (false). */
    restoreBest: z.boolean().default(true),
  })
  .strict();
export type EarlyStoppingConfig = z.infer<typeof earlyStoppingConfigSchema>;

export const runConfigSchema = z
  .object({
    name: z.string().max(200).optional(),
    seed: z.number().int().min(0).max(2 ** 31 - 1).default(0),
    backend: z.enum(BACKENDS).default('auto'),
    /**
     * CPU threads the run computes on (wasm backend); 'auto' = every core the run
     * is given (all of the machine's, or the queue's share of them). The results
     * do not depend on it, up to float rounding.
     */
    threads: z.union([z.literal('auto'), z.number().int().min(1).max(256)]).default('auto'),
    /**
     * How those threads share the work (shared/parallelism.ts): 'data' = a model
     * replica and a shard of every batch per thread; 'xnnpack' = one engine whose
     * convolutions split over a thread pool; 'auto' = 'data', the faster one.
     */
    parallel: z.enum(PARALLEL_MODES).default('auto'),
    dataset: datasetConfigSchema.default(datasetConfigSchema.parse({})),
    model: modelConfigSchema.default(modelConfigSchema.parse({})),
    optimizer: optimizerConfigSchema.default(optimizerConfigSchema.parse({})),
    schedule: scheduleConfigSchema.default(scheduleConfigSchema.parse({})),
    epochs: z.number().int().min(1).max(10_000).default(10),
    batchSize: z.number().int().min(1).max(4096).default(64),
    /** Clip the global gradient norm to this value; null = no clipping. */
    gradClipNorm: z.number().positive().nullable().default(null),
    labelSmoothing: z.number().min(0).max(0.5).default(0),
    /** How many fixed sample images (engine/data/prepare.ts) get top-3 predictions every epoch. */
    sampleCount: z.number().int().min(0).max(MAX_SAMPLE_COUNT).default(32),
    earlyStopping: earlyStoppingConfigSchema.optional(),
  })
  .strict()
  .check((ctx) => {
    if (ctx.value.earlyStopping && ctx.value.dataset.validationFraction === 0) {
      ctx.issues.push({
        code: 'custom',
        path: ['earlyStopping'],
        input: ctx.value.earlyStopping,
        message: 'needs a validation split to watch: dataset.validationFraction is 0 (set it above 0, e.g. 0.1)',
      });
    }
  });

/** A field of the run config: its dotted path, and whether it only ever holds numbers. */
export interface ConfigLeaf {
  path: string;
  numeric: boolean;
}

/**
 * Every field a run config can have, read off the schema: optional ones
 * (dataset.trainSubset, earlyStopping.patience) and every kernel's parameters
 * included, so tables, filters and exports offer them before any run uses them.
 * Lists are one field (a milestone list is one setting). In path order.
 */
export function configLeaves(): ConfigLeaf[] {
  const leaves = new Map<string, boolean>();
  const walk = (schema: z.ZodType, path: string) => {
    const inner = unwrapOptional(schema);
    const objects = inner instanceof z.ZodObject ? [inner] : inner instanceof z.ZodUnion && inner.options.every((o) => o instanceof z.ZodObject) ? (inner.options as z.ZodObject[]) : null;
    if (!objects) {
      leaves.set(path, (leaves.get(path) ?? true) && onlyNumbers(inner));
      return;
    }
    for (const object of objects) for (const [key, field] of Object.entries(object.shape as Record<string, z.ZodType>)) walk(field, path ? `${path}.${key}` : key);
  };
  walk(runConfigSchema, '');
  return [...leaves.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([path, numeric]) => ({ path, numeric }));
}

function unwrapOptional(schema: z.ZodType): z.ZodType {
  if (schema instanceof z.ZodDefault || schema instanceof z.ZodOptional || schema instanceof z.ZodNullable) return unwrapOptional(schema.def.innerType as z.ZodType);
  return schema;
}

function onlyNumbers(schema: z.ZodType): boolean {
  const inner = unwrapOptional(schema);
  if (inner instanceof z.ZodUnion) return inner.options.every((o) => onlyNumbers(o as z.ZodType));
  return inner instanceof z.ZodNumber;
}

/** A fully-defaulted run config, as stored and as the engine receives it. */
export type RunConfig = z.infer<typeof runConfigSchema>;
/** What a user may write: every field optional. */
export type RunConfigInput = z.input<typeof runConfigSchema>;

/** A run config or request argument that the schema refuses (invalid input), one issue per field. */
export class ConfigError extends WorkbenchError {
  constructor(
    message: string,
    /** One entry per problem: the dotted field path and what is allowed. */
    override readonly issues: { path: string; message: string }[],
  ) {
    super('invalid_input', message, issues);
    this.name = 'ConfigError';
  }
}

/** Describes one zod issue as "field: problem (allowed: ...)"; the message is readableIssue's unless a union needs the config's own words. */
function describeIssue(issue: z.core.$ZodIssue): { path: string; message: string } {
  const path = issue.path.map(String).join('.') || '(root)';
  let message = issue.message;
  if (issue.code === 'invalid_union' && path.endsWith('kernel')) {
    message = `must be a kernel spec with type one of ${KERNEL_TYPES.join(', ')}`;
  } else if (issue.code === 'invalid_union' && path.endsWith('kervLayers')) {
    message = 'must be "all", "stem", a number N >= 1 (the first N convolutions) or a list of 0-based convolution indices';
  }
  return { path, message };
}

export function formatConfigError(error: z.ZodError): ConfigError {
  const issues = error.issues.map(describeIssue);
  const text = issues.map((i) => `${i.path}: ${i.message}`).join('; ');
  return new ConfigError(`Invalid run config: ${text}`, issues);
}

/** Parses and defaults a run config; throws ConfigError naming every bad field. */
export function parseRunConfig(input: unknown): RunConfig {
  const result = runConfigSchema.safeParse(input ?? {}, { error: readableIssue });
  if (!result.success) throw formatConfigError(result.error);
  return result.data;
}

/** The fully-defaulted config. */
export function defaultRunConfig(): RunConfig {
  return parseRunConfig({});
}

/**
 * What makes two runs replicates of the same seed (a Re-run, an imported copy):
 * the canonical config without the free-text name and the thread count and
 * layout (they change the speed, not the result). The service's configHash is its sha256.
 */
export function replicateKey(config: RunConfig): string {
  const { name: _name, threads: _threads, parallel: _parallel, ...settings } = config;
  return canonicalJson(settings);
}

/** Stable JSON (sorted keys) so equal configs hash equally. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
