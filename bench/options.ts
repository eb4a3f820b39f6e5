// Benchmark options: flags first, then KERV_BENCH_* environment variables, then
// defaults. `--quick` shrinks everything so CI can smoke-test the harness in
// seconds; it measures nothing worth recording.
import { parseArgs } from 'node:util';
import { KERNEL_TYPES, type KernelType } from '../src-main/shared/run-config';
import { availableCores } from '../src-main/engine/backend/cores';

export const SECTIONS = ['engine', 'torch', 'lenet5', 'store'] as const;
export type Section = (typeof SECTIONS)[number];

/** A convolution variant of the reference CNN: the ordinary tf.conv2d or one kernel in every convolution. */
export type ConvVariant = 'conv' | KernelType;

export interface BenchOptions {
  quick: boolean;
  batch: number;
  imageSize: number;
  channels: number;
  classes: number;
  steps: number;
  warmupSteps: number;
  /** The unfold-based PyTorch kervolution takes seconds to minutes per step: fewer steps. */
  torchKervSteps: number;
  torchKervWarmupSteps: number;
  sections: Section[];
  variants: ConvVariant[];
  backend: string;
  /** Threads our engine computes on (the product's default: every core). */
  threads: number;
  /** How they share the work, as a run config's `parallel` (default: the product's, data parallelism). */
  parallel: 'data' | 'xnnpack';
  python: string;
  /** Fashion-MNIST IDX files for the LeNet-5 epoch; quick runs train on a subset. */
  fashionMnistDir: string;
  lenetTrainSubset: number | null;
  /** Where the table is appended; null = print only. */
  resultsFile: string | null;
  /** A first warm-up step slower than this caps the variant at 3 timed steps. */
  slowStepMs: number;
  /** Profile every variant (per-op timing), not only those that miss a target. */
  profileAll: boolean;
}

export const BENCH_USAGE = `Usage: npm run bench -- [options]

  --quick                 tiny sizes (batch 4, 8×8), 1 warm-up + 1 step: a smoke run (seconds), not a measurement
  --batch N               batch size (default 64)
  --image-size N          square input size (default 32)
  --channels N            input channels (default 3)
  --steps N               timed training steps per variant (default 10)
  --warmup N              untimed warm-up steps (default 3)
  --torch-kerv-steps N    timed steps of the unfold-based PyTorch kervolution (default 2, after 1 warm-up: 30-70 s a step here)
  --sections LIST         comma list of ${SECTIONS.join(', ')} (default: all)
  --variants LIST         comma list of conv, ${KERNEL_TYPES.join(', ')} (default: all)
  --backend NAME          tfjs backend: auto, tensorflow, wasm, cpu (default auto)
  --threads N             threads of our engine (default: every core, as a run uses; conv rows on threaded XNNPACK and on 1 thread are added)
  --parallel MODE         data (default, the product's: a replica and a shard of the batch per thread) or xnnpack
  --fashion-mnist DIR     the Fashion-MNIST IDX files for the LeNet-5 epoch (default /usr/share/datasets/fashion-mnist)
  --python PATH           Python with torch (default /usr/bin/python3)
  --results FILE          append the report here (default bench/RESULTS.md); --no-results to skip
  --profile-all           per-op profile of every variant, not only those missing a target
  --slow-step-ms N        a variant whose first warm-up step takes longer is timed over 3 steps, 4× longer over 1 (default 5000)

Every flag also reads KERV_BENCH_<NAME> (e.g. KERV_BENCH_BATCH=32, KERV_BENCH_QUICK=1).`;

function positiveInt(value: string, field: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${field} must be a positive integer, got ${JSON.stringify(value)}`);
  return n;
}

function list<T extends string>(value: string, allowed: readonly T[], field: string): T[] {
  const items = value.split(',').map((s) => s.trim()).filter(Boolean);
  for (const item of items) {
    if (!allowed.includes(item as T)) throw new Error(`${field}: unknown '${item}', allowed: ${allowed.join(', ')}`);
  }
  if (items.length === 0) throw new Error(`${field} must name at least one of ${allowed.join(', ')}`);
  return items as T[];
}

function parallelMode(value: string): 'data' | 'xnnpack' {
  if (value !== 'data' && value !== 'xnnpack') throw new Error(`--parallel must be data or xnnpack, got ${JSON.stringify(value)}`);
  return value;
}

export function parseBenchOptions(argv: string[], env: NodeJS.ProcessEnv = process.env): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      quick: { type: 'boolean' },
      batch: { type: 'string' },
      'image-size': { type: 'string' },
      channels: { type: 'string' },
      steps: { type: 'string' },
      warmup: { type: 'string' },
      'torch-kerv-steps': { type: 'string' },
      sections: { type: 'string' },
      variants: { type: 'string' },
      backend: { type: 'string' },
      threads: { type: 'string' },
      parallel: { type: 'string' },
      'fashion-mnist': { type: 'string' },
      python: { type: 'string' },
      results: { type: 'string' },
      'no-results': { type: 'boolean' },
      'profile-all': { type: 'boolean' },
      'slow-step-ms': { type: 'string' },
    },
  });
  if (values.help) {
    console.log(BENCH_USAGE);
    process.exit(0);
  }
  const pick = (flag: keyof typeof values): string | undefined => {
    const fromFlag = values[flag];
    if (typeof fromFlag === 'string') return fromFlag;
    if (fromFlag === true) return '1';
    return env[`KERV_BENCH_${String(flag).replace(/-/g, '_').toUpperCase()}`];
  };
  const flag = (name: keyof typeof values) => ['1', 'true', 'yes'].includes((pick(name) ?? '').toLowerCase());
  const quick = flag('quick');
  const int = (name: keyof typeof values, full: number, small: number) => {
    const raw = pick(name);
    return raw === undefined ? (quick ? small : full) : positiveInt(raw, `--${String(name)}`);
  };
  const sectionsRaw = pick('sections');
  const variantsRaw = pick('variants');
  return {
    quick,
    batch: int('batch', 64, 4),
    imageSize: int('image-size', 32, 8),
    channels: int('channels', 3, 3),
    classes: 10,
    steps: int('steps', 10, 1),
    warmupSteps: int('warmup', 3, 1),
    torchKervSteps: int('torch-kerv-steps', 2, 1),
    torchKervWarmupSteps: 1,
    sections: sectionsRaw ? list(sectionsRaw, SECTIONS, '--sections') : [...SECTIONS],
    variants: variantsRaw ? list(variantsRaw, ['conv', ...KERNEL_TYPES] as const, '--variants') : ['conv', ...KERNEL_TYPES],
    backend: pick('backend') ?? 'auto',
    threads: int('threads', availableCores(), availableCores()),
    parallel: parallelMode(pick('parallel') ?? 'data'),
    fashionMnistDir: pick('fashion-mnist') ?? '/usr/share/datasets/fashion-mnist',
    lenetTrainSubset: quick ? 640 : null,
    python: pick('python') ?? '/usr/bin/python3',
    resultsFile: flag('no-results') ? null : (pick('results') ?? 'bench/RESULTS.md'),
    profileAll: flag('profile-all'),
    slowStepMs: int('slow-step-ms', 5000, 2000),
  };
}
