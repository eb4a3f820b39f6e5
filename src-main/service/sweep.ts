// Expands a sweep request into run configs: the cartesian product of the grid
// axes (or N seeded random points of it), each repeated with seeds
// base.seed, base.seed+1, ... Every config is validated before any run is created,
// so a bad axis value fails the whole sweep with the point that broke it.
import type { SweepRequest } from '../shared/api';
import { Rng } from '../engine/random';
import { getPath, setPath } from '../shared/config-paths';
import { ConfigError, defaultRunConfig, parseRunConfig, type RunConfig, type RunConfigInput } from '../shared/run-config';

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

/** Draws `count` distinct points without replacement (all of them when count ≥ the grid size), seeded. */
export function randomPoints(points: Record<string, unknown>[], count: number, seed: number): Record<string, unknown>[] {
  const pool = [...points];
  // The engine's generator (the one runs draw from), under a label of its own.
  Rng.derive(seed, 'sweep:random-points').shuffle(pool);
  return pool.slice(0, Math.min(count, pool.length));
}

function checkAxes(grid: Record<string, unknown[]>): void {
  const defaults = defaultRunConfig();
  const issues: { path: string; message: string }[] = [];
  for (const [path, values] of Object.entries(grid)) {
    if (!Array.isArray(values) || values.length === 0) issues.push({ path, message: 'a grid axis needs at least one value' });
    // Kernel parameters exist only for some kernel types; everything else must exist in the defaulted config.
    const isKernelParam = /^model\.kernel\.[a-z]+$/i.test(path);
    if (getPath(defaults, path) === undefined && !isKernelParam) {
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
  let points = gridPoints(request.grid);
  if (request.randomDraws !== undefined) points = randomPoints(points, request.randomDraws, base.seed);
  const out: SweepPoint[] = [];
  for (const values of points) {
    let config: RunConfig;
    try {
      config = parseRunConfig(applyValues(request.base, values));
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
  return out;
}
