// Every size limit on input that comes from outside (a request, a file someone
// sent, a dataset folder) lives here, so the bounds of the product are visible in
// one table and each is raised the same way: an environment variable
// KERV_<NAME> (e.g. KERV_MAX_IMAGE_PIXELS=400000000) before the app, `kerv serve`
// or the CLI starts. Worker processes inherit the environment, so a raised limit
// holds for training too. An exceeded limit throws LimitError, whose message says
// what was too big, the limit, and how to raise it.
//
// Pure TS (no node:*): the engine, the service, the adapters and the renderer
// share it.
import { WorkbenchError } from './errors';

interface LimitSpec {
  readonly defaultValue: number;
  readonly unit: 'bytes' | 'pixels' | 'characters' | 'runs' | 'values' | 'entries';
  /** What is being measured, for the error message ("an uploaded bundle"). */
  readonly what: string;
}

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;

export const LIMITS = {
  /** One request over the WebSocket or IPC (JSON text). */
  MAX_REQUEST_BYTES: { defaultValue: 16 * MiB, unit: 'bytes', what: 'a request' },
  /** A .kervrun bundle on disk or uploaded over HTTP (gzipped). */
  MAX_BUNDLE_BYTES: { defaultValue: 2 * GiB, unit: 'bytes', what: 'a bundle file' },
  /** A run config file (`kerv train --config`, `kerv sweep --config`). */
  MAX_CONFIG_FILE_BYTES: { defaultValue: 1 * MiB, unit: 'bytes', what: 'a config file' },
  /** Any other single file read whole into memory (dataset files, checkpoint state). */
  MAX_FILE_READ_BYTES: { defaultValue: 2 * GiB, unit: 'bytes', what: 'a file read into memory' },
  /** Bytes produced by inflating one gzip stream (dataset archives, bundles). */
  MAX_DECOMPRESSED_BYTES: { defaultValue: 512 * MiB, unit: 'bytes', what: 'decompressed data' },
  /** Width × height of one image, checked from its header before decoding. */
  MAX_IMAGE_PIXELS: { defaultValue: 40_000_000, unit: 'pixels', what: 'an image' },
  /** Runs one sweep may create: grid points (or random draws) × repeats. */
  MAX_SWEEP_RUNS: { defaultValue: 1_000, unit: 'runs', what: 'a sweep' },
  /** Values of all grid axes of a sweep together (the grid is never expanded beyond MAX_SWEEP_RUNS). */
  MAX_SWEEP_AXIS_VALUES: { defaultValue: 10_000, unit: 'values', what: 'a sweep grid' },
  /** The free-text search of the runs list. */
  MAX_SEARCH_LENGTH: { defaultValue: 500, unit: 'characters', what: 'a search string' },
  /** Free text a user stores (notes, log lines in a bundle, names). */
  MAX_TEXT_LENGTH: { defaultValue: 1_000_000, unit: 'characters', what: 'a text field' },
  /** A file system path given from outside. */
  MAX_PATH_LENGTH: { defaultValue: 4_096, unit: 'characters', what: 'a path' },
  /** Entries (runs, files, metric points) of one bundle. */
  MAX_BUNDLE_ENTRIES: { defaultValue: 10_000_000, unit: 'entries', what: 'a bundle' },
} as const satisfies Record<string, LimitSpec>;

export type LimitName = keyof typeof LIMITS;

/** The environment variable that raises (or lowers) a limit. */
export function limitVariable(name: LimitName): string {
  return `KERV_${name}`;
}

const overrides = new Map<LimitName, number>();

function environment(): Record<string, string | undefined> {
  // Read lazily and without node:* so the renderer can import this module too.
  return (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env ?? {};
}

/** Sets limits for this process (tests, a CLI flag); `undefined` restores the default/environment value. */
export function setLimit(name: LimitName, value: number | undefined): void {
  if (value === undefined) overrides.delete(name);
  else {
    if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${name} must be a positive number, got ${value}.`);
    overrides.set(name, value);
  }
}

/** The limit in force: setLimit, else KERV_<NAME>, else the default. */
export function limitValue(name: LimitName): number {
  const set = overrides.get(name);
  if (set !== undefined) return set;
  const spec: LimitSpec = LIMITS[name];
  const text = environment()[limitVariable(name)];
  if (text !== undefined && text.trim() !== '') {
    const value = Number(text);
    if (Number.isFinite(value) && value > 0) return value;
  }
  return spec.defaultValue;
}

function formatAmount(value: number, unit: LimitSpec['unit']): string {
  if (unit === 'bytes' && value >= MiB) {
    const mib = value / MiB;
    return `${Number.isInteger(mib) ? mib : mib.toFixed(1)} MiB`;
  }
  return `${value.toLocaleString('en-US')} ${unit}`;
}

/** Thrown when input exceeds a limit; the message names the input, the limit and how to raise it. */
export class LimitError extends WorkbenchError {
  readonly limit: LimitName;
  readonly value: number;
  readonly max: number;
  constructor(name: LimitName, value: number, subject?: string) {
    const spec: LimitSpec = LIMITS[name];
    const max = limitValue(name);
    const amount = Number.isFinite(value) ? `${formatAmount(value, spec.unit)}` : `more than ${formatAmount(max, spec.unit)}`;
    super(
      'invalid_input',
      `${subject ?? spec.what[0].toUpperCase() + spec.what.slice(1)} is ${amount}; the limit is ${formatAmount(max, spec.unit)} ` +
        `(${name}; raise it with the environment variable ${limitVariable(name)}).`,
    );
    this.name = 'LimitError';
    this.limit = name;
    this.value = value;
    this.max = max;
  }
}

/** Throws LimitError when `value` is above the limit. `subject` names the input ("Image cat.png (30000 × 30000)"). */
export function checkLimit(name: LimitName, value: number, subject?: string): void {
  if (!(value <= limitValue(name))) throw new LimitError(name, value, subject);
}
