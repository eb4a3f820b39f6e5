// Expands a sweep request into run configs: the cartesian product of the grid
// axes (or N seeded random points of it), each repeated with seeds
// base.seed, base.seed+1, ... Every config is validated before any run is created,
// so a bad axis value fails the whole sweep with the point that broke it.
import type { SweepRequest } from '../shared/api';
import { ashaOptionsSchema, ashaRungs, type AshaOptions } from '../shared/asha';
import { Rng } from '../engine/random';
import { getPath, setPath } from '../shared/config-paths';
import { checkLimit } from '../shared/limits';
import { parseServiceRunConfig } from './run-validation';
import { isPrototypeKey } from '../shared/untrusted-json';
import { ConfigError, configLeaves, defaultRunConfig, parseRunConfig, type RunConfig, type RunConfigInput } from '../shared/run-config';
import { plural } from '../shared/format';

export interface SweepPoint {
  /** The axis values of this point, by dotted path. */
  values: Record<string, unknown>;
  seed: number;
  config: RunConfig;
  name: string;
}

/** All combinations of the axes, in order (the last axis varies fastest). */
export function gridPoints(grid: Record<string, unknown[]>): Record<string, unknown>[] {
  let points: Record<string, unknown>[] = [{}];
  for (const [path, values] of Object.entries(grid)) {
    points = points.flatMap((p) => values.map((v) => ({ ...p, [path]: v })));
  }
  return points;
}

/** The engine's seeded generator (the one runs draw from), under a label of its own: uniform in [0, 1). */
function seededRandom(seed: number): () => number {
  const rng = Rng.derive(seed, 'sweep:random-grid-points');
  return () => rng.next();
}

/** Draws `count` distinct points without replacement (all of them when count ≥ the grid size), seeded. */
export function randomPoints(points: Record<string, unknown>[], count: number, seed: number): Record<string, unknown>[] {
  const pool = [...points];
  Rng.derive(seed, 'sweep:random-points').shuffle(pool);
  return pool.slice(0, Math.min(count, pool.length));
}

/**
 * Draws `count` distinct points of a grid too big to list (each point is one
 * index per axis), seeded; used above EXPAND_BEFORE_DRAWING points, where a draw
 * almost never repeats, so rejecting repeats costs little.
 */
function drawFromLargeGrid(grid: Record<string, unknown[]>, count: number, seed: number): Record<string, unknown>[] {
  const next = seededRandom(seed);
  const axes = Object.entries(grid);
  const seen = new Set<string>();
  const out: Record<string, unknown>[] = [];
  while (out.length < count) {
    const indices = axes.map(([, values]) => Math.floor(next() * values.length));
    const key = indices.join(',');
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(Object.fromEntries(axes.map(([path, values], a) => [path, values[indices[a]]])));
  }
  return out;
}

/** Grids up to this many points are listed and shuffled; larger ones are drawn from without listing them. */
const EXPAND_BEFORE_DRAWING = 100_000;

/** Points of the grid (the product of the axis lengths; may exceed 2^53 — only compared against limits). */
export function gridSize(grid: Record<string, unknown[]>): number {
  return Object.values(grid).reduce((n, values) => n * values.length, 1);
}

function checkAxes(grid: Record<string, unknown[]>): void {
  const defaults = defaultRunConfig();
  const fields = new Set(configLeaves().map((leaf) => leaf.path));
  const issues: { path: string; message: string }[] = [];
  const axisValues = Object.values(grid).reduce((n, values) => n + (Array.isArray(values) ? values.length : 0), 0);
  checkLimit('MAX_SWEEP_AXIS_VALUES', axisValues, `The sweep grid (${axisValues} values over ${Object.keys(grid).length} axes)`);
  for (const [path, values] of Object.entries(grid)) {
    if (isPrototypeKey(path)) {
      issues.push({ path, message: 'not a run config field (it names an object prototype)' });
      continue;
    }
    if (!Array.isArray(values) || values.length === 0) issues.push({ path, message: 'a grid axis needs at least one value' });
    // A field of the schema (optional ones such as dataset.trainSubset, and every kernel's
    // parameters, included) or a part of the defaulted config (model.kernel as a whole).
    if (!fields.has(path) && getPath(defaults, path) === undefined) {
      issues.push({ path, message: 'not a run config field' });
    }
    if (path === 'seed') issues.push({ path, message: 'use repeats for seeds, not a grid axis' });
  }
  if (issues.length > 0) throw new ConfigError(`Invalid sweep: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues);
}

/** Applies axis values to the base; `.type` discriminators first so parameters land on the right kind. */
export function applyValues(base: RunConfigInput, values: Record<string, unknown>): RunConfigInput {
  const ordered = Object.entries(values).sort(([a], [b]) => Number(!a.endsWith('.type')) - Number(!b.endsWith('.type')));
  return ordered.reduce<RunConfigInput>((config, [path, value]) => setPath(config, path, value), base);
}

function describePoint(values: Record<string, unknown>): string {
  return Object.entries(values)
    .map(([path, v]) => `${path.split('.').pop()}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(' ');
}

export function expandSweep(request: SweepRequest): SweepPoint[] {
  checkAxes(request.grid);
  const base = parseRunConfig(request.base);
  const repeats = request.repeats ?? 1;
  if (!Number.isInteger(repeats) || repeats < 1) throw new ConfigError('Invalid sweep: repeats must be an integer ≥ 1', [{ path: 'repeats', message: 'must be an integer ≥ 1' }]);
  // Size first, from the axis lengths alone: a grid too big is refused before any point exists.
  const size = gridSize(request.grid);
  const pointCount = request.randomDraws === undefined ? size : Math.min(request.randomDraws, size);
  const shape = Object.values(request.grid).map((v) => v.length).join(' × ') || '1';
  checkLimit(
    'MAX_SWEEP_RUNS',
    pointCount * repeats,
    request.randomDraws === undefined
      ? `The sweep (${shape} grid points × ${plural(repeats, 'repeat')})`
      : `The sweep (${pointCount} random draws × ${plural(repeats, 'repeat')})`,
  );
  let points: Record<string, unknown>[];
  if (request.randomDraws === undefined) points = gridPoints(request.grid);
  else if (size <= EXPAND_BEFORE_DRAWING) points = randomPoints(gridPoints(request.grid), request.randomDraws, base.seed);
  else points = drawFromLargeGrid(request.grid, pointCount, base.seed);
  const out: SweepPoint[] = [];
  for (const values of points) {
    let config: RunConfig;
    try {
      config = parseServiceRunConfig(applyValues(request.base, values));
    } catch (error) {
      if (error instanceof ConfigError) {
        throw new ConfigError(`Sweep point {${describePoint(values)}}: ${error.message}`, error.issues);
      }
      throw error;
    }
    for (let r = 0; r < repeats; r++) {
      const seed = base.seed + r;
      const label = describePoint(values);
      const name = [request.base.name ?? request.name, label, `seed=${seed}`].filter(Boolean).join(' ');
      out.push({ values, seed, config: { ...config, seed }, name });
    }
  }
  sweepAsha(request, out);
  return out;
}

/**
 * The sweep's ASHA options (null without), checked against its runs: the
 * maximum R is the runs' epochs, so epochs cannot be an axis, every run needs a
 * rung below R, and a validation split to be compared on.
 */
export function sweepAsha(request: SweepRequest, points: readonly SweepPoint[]): AshaOptions | null {
  if (request.asha === undefined) return null;
  const parsed = ashaOptionsSchema.safeParse(request.asha);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ path: ['asha', ...i.path.map(String)].join('.'), message: i.message }));
    throw new ConfigError(`Invalid sweep: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues);
  }
  const asha = parsed.data;
  const refuse = (path: string, message: string): never => {
    throw new ConfigError(`Invalid sweep: ${path}: ${message}`, [{ path, message }]);
  };
  if ('epochs' in request.grid) refuse('asha', "epochs is ASHA's maximum R, the same for every run: sweep other fields, or drop ASHA");
  for (const { config } of points) {
    if (ashaRungs(asha, config.epochs).length === 0) {
      refuse('asha.minEpochs', `must be below the runs' epochs (${config.epochs}): rungs are at r, ηr, η²r, … below R = epochs (e.g. r = 1 with η = 3 gives rungs at 1, 3, 9, … below R)`);
    }
    if (config.dataset.validationFraction === 0) {
      refuse('asha', 'needs a validation split to compare runs on: dataset.validationFraction is 0 (set it above 0, e.g. 0.1)');
    }
  }
  return asha;
}
