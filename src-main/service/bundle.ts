// Run bundles: one .kervrun file (gzipped JSON) holding everything needed to
// look at a run on another machine and to keep training it — config,
// reproducibility metadata, every metric, the sample images, the log and the
// final checkpoint's files (base64). Import creates new runs (new ids) and
// restores the checkpoint under the new run's folder.
//
// A bundle is a file someone sent, so import trusts nothing in it:
// - the file is read only if it is a regular file within MAX_BUNDLE_BYTES, and
//   inflated only up to MAX_DECOMPRESSED_BYTES;
// - the whole bundle is checked against a strict schema (bundle-schema.ts) and
//   every run config is parsed before anything is written;
// - checkpoint files are written into a staging folder inside the data folder,
//   each path confined to it, and verified against the checkpoint's manifest;
// - the runs are inserted in one transaction, then the staged folders are
//   renamed into place; if anything fails the runs are removed again and the
//   staging folder deleted: all runs and files, or nothing.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { gzipSync } from 'node:zlib';
import { confinePath, gunzipBoundedSync, readRegularFile } from '../engine/safe-files';
import { checkpointsOnDisk } from '../engine/train/checkpoint-folders';
import { verifyCheckpoint } from '../engine/train/checkpoint-manifest';
import type { RunStatus } from '../shared/api';
import type { DatasetInfo, EpochMetrics, RunEnvironment, SampleImage, StepMetrics, TrainSummary } from '../shared/progress';
import { invalidInput } from '../shared/errors';
import { ConfigError, parseRunConfig, type RunConfig } from '../shared/run-config';
import { assertPlainJson } from '../shared/untrusted-json';
import type { Store } from '../store/store';
import { BUNDLE_FORMAT, BUNDLE_VERSION, bundleSchema, type Bundle, type BundledRun, type JsonForm } from './bundle-schema';
import type { DataPaths } from './paths';
import { configHash } from './run-identity';

export { BUNDLE_FORMAT, BUNDLE_VERSION };

function filesUnder(root: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    const path = join(root, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(path));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}

function bundleRun(store: Store, checkpointDir: string, id: number): BundledRun {
  const run = store.runs.get(id)!;
  const checkpoints = checkpointsOnDisk(checkpointDir).filter((c) => c.step <= run.step);
  const newest = checkpoints.length > 0 ? checkpoints[checkpoints.length - 1] : null;
  return {
    id,
    name: run.name,
    status: run.status,
    config: run.config,
    tags: run.tags,
    notes: run.notes,
    error: run.error,
    createdAt: run.createdAt,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    durationMs: run.durationMs,
    step: run.step,
    totalSteps: run.totalSteps,
    bestValidationAccuracy: run.bestValidationAccuracy,
    testAccuracy: run.testAccuracy,
    parameterCount: run.parameterCount,
    summary: run.summary,
    environment: store.runs.getEnvironment(id),
    metrics: store.metrics.metrics(id),
    samples: store.metrics.samples(id),
    logs: store.runs.logs(id),
    checkpoint: newest && {
      step: newest.step,
      epoch: newest.epoch,
      folder: relative(checkpointDir, newest.path),
      files: filesUnder(newest.path).map((file) => ({
        path: relative(newest.path, file).split(sep).join('/'),
        base64: readFileSync(file).toString('base64'),
      })),
    },
  };
}

/**
 * Writes the runs to `path` (already confined by the caller): into a temporary
 * file beside it, renamed over the target, so a failed export never leaves half a file.
 * `checkpointDir(id)`: where run `id` keeps its checkpoints (checkpoints.ts's runCheckpointDir).
 */
export function exportBundle(store: Store, ids: number[], path: string, checkpointDir: (id: number) => string): { path: string; bytes: number } {
  if (existsSync(path) && !statSync(path).isFile()) throw invalidInput(`path: ${path} exists and is not a regular file; choose a file name.`);
  const bundle: Bundle = { format: BUNDLE_FORMAT, version: BUNDLE_VERSION, exportedAt: new Date().toISOString(), runs: ids.map((id) => bundleRun(store, checkpointDir(id), id)) };
  const bytes = gzipSync(Buffer.from(JSON.stringify(bundle)));
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.partial`;
  try {
    writeFileSync(temporary, bytes);
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
  return { path, bytes: statSync(path).size };
}

/** Reads and checks a bundle; every problem is an invalid-input error naming the file and the field. */
export function readBundle(path: string): Bundle {
  const name = path.split(/[\\/]/).pop() ?? path;
  const compressed = readRegularFile(path, 'MAX_BUNDLE_BYTES', `bundle ${name}`);
  let parsed: unknown;
  try {
    const json = gunzipBoundedSync(compressed, `bundle ${name}`);
    parsed = JSON.parse(json.toString('utf8'));
  } catch (error) {
    if ((error as Error).name === 'LimitError') throw error;
    throw invalidInput(`${name} is not a .kervrun bundle: it is not gzipped JSON (${(error as Error).message}).`);
  }
  if (!parsed || typeof parsed !== 'object' || (parsed as { format?: unknown }).format !== BUNDLE_FORMAT) {
    throw invalidInput(`${name} is not a .kervrun bundle (its 'format' field is not '${BUNDLE_FORMAT}').`);
  }
  assertPlainJson(parsed, `Bundle ${name}`);
  const result = bundleSchema.safeParse(parsed);
  if (!result.success) {
    const issues = result.error.issues.slice(0, 10).map((i) => ({ path: i.path.map(String).join('.') || '(bundle)', message: i.message }));
    throw new ConfigError(`Bundle ${name} is malformed: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues);
  }
  return result.data;
}

/**
 * A record the bundle schema accepted, as the engine's type: its counts are
 * integers by the schema (never null), and a null measure is a NaN or ±Infinity
 * that JSON wrote as null, which the store keeps as null again.
 */
const asRecorded = <T>(value: JsonForm<T>): T => value as unknown as T;

function stepsOf(series: BundledRun['metrics']['steps']): StepMetrics[] {
  const measured = (column: (number | null)[], i: number) => column[i] ?? NaN;
  return series.step.map((step, i) => ({
    step: step as number,
    epoch: series.epoch[i] as number,
    loss: measured(series.loss, i),
    accuracy: measured(series.accuracy, i),
    learningRate: measured(series.learningRate, i),
    imagesPerSecond: measured(series.imagesPerSecond, i),
    wallTimeMs: measured(series.wallTimeMs, i),
  }));
}

/** A run that was training or waiting when exported is, on this machine, interrupted: it can be resumed. */
function importedStatus(status: RunStatus): RunStatus {
  return status === 'running' || status === 'queued' ? 'interrupted' : status;
}

/** Writes one run's checkpoint files under `stageDir` (every path confined to it) and verifies them. */
function stageCheckpoint(stageDir: string, run: BundledRun, index: number, bundleName: string): void {
  const checkpoint = run.checkpoint!;
  const folder = confinePath(stageDir, checkpoint.folder, `runs.${index}.checkpoint.folder`);
  mkdirSync(folder, { recursive: true });
  for (const [f, file] of checkpoint.files.entries()) {
    const target = confinePath(folder, file.path, `runs.${index}.checkpoint.files.${f}.path`);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, Buffer.from(file.base64, 'base64'), { flag: 'wx' });
  }
  const verdict = verifyCheckpoint(folder);
  if (!verdict.ok) throw invalidInput(`Bundle ${bundleName}: runs.${index}.checkpoint is corrupt: ${verdict.problem}`);
}

export function importBundle(store: Store, paths: DataPaths, path: string): number[] {
  const bundle = readBundle(path);
  const bundleName = path.split(/[\\/]/).pop() ?? path;
  const importedAt = new Date().toISOString();
  const configs: RunConfig[] = bundle.runs.map((run, i) => {
    try {
      return parseRunConfig(run.config);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      const issues = error.issues.map((issue) => ({ path: `runs.${i}.config.${issue.path}`, message: issue.message }));
      throw new ConfigError(`Bundle ${bundleName} is malformed: ${issues.map((x) => `${x.path}: ${x.message}`).join('; ')}`, issues);
    }
  });

  mkdirSync(paths.runsDir, { recursive: true });
  // Inside the data folder, so the final rename stays on one file system (atomic).
  const staging = mkdtempSync(join(paths.runsDir, '.import-'));
  const ids: number[] = [];
  const placed: string[] = [];
  let committed = false;
  try {
    bundle.runs.forEach((run, i) => {
      if (run.checkpoint) stageCheckpoint(join(staging, String(i)), run, i, bundleName);
    });
    store.transaction(() => {
      bundle.runs.forEach((run, i) => {
        const config = configs[i];
        const id = store.runs.insert({
          name: run.name,
          config,
          configHash: configHash(config),
          tags: run.tags,
          notes: run.notes,
          status: importedStatus(run.status),
          origin: `imported from ${bundleName} (run ${run.id} there) at ${importedAt}`,
        });
        store.runs.restoreLifecycle(id, { createdAt: run.createdAt, startedAt: run.startedAt, finishedAt: run.finishedAt, error: run.error });
        store.runs.setProgressFields(id, {
          step: run.step,
          totalSteps: run.totalSteps ?? undefined,
          durationMs: run.durationMs,
          bestValidationAccuracy: run.bestValidationAccuracy,
          testAccuracy: run.testAccuracy,
          parameterCount: run.parameterCount ?? undefined,
          summary: run.summary ? asRecorded<TrainSummary>(run.summary) : undefined,
        });
        if (run.environment) {
          const { seed, environment, dataset } = run.environment;
          store.runs.setEnvironment(id, seed, asRecorded<RunEnvironment>(environment), dataset && asRecorded<DatasetInfo>(dataset));
        }
        store.metrics.appendSteps(id, stepsOf(run.metrics.steps));
        for (const epoch of run.metrics.epochs) store.metrics.putEpoch(id, asRecorded<EpochMetrics>(epoch));
        store.metrics.putSamples(id, asRecorded<SampleImage[]>(run.samples));
        for (const log of run.logs) store.runs.log(id, log.level, log.message, log.at);
        ids.push(id);
      });
    }, 'import into');
    committed = true;
    // Committed: move each staged checkpoint under its new run. Run ids are never reused,
    // so a folder already there is debris of a run deleted half-way; it goes.
    bundle.runs.forEach((run, i) => {
      if (!run.checkpoint) return;
      const runDir = paths.runDir(ids[i]);
      rmSync(runDir, { recursive: true, force: true });
      mkdirSync(runDir, { recursive: true });
      renameSync(join(staging, String(i)), paths.checkpointDir(ids[i]));
      placed.push(runDir);
    });
  } catch (error) {
    if (committed) {
      // The rows were committed but the files could not be placed: take the rows back.
      try {
        store.transaction(() => store.runs.delete(ids), 'undo the import in');
      } catch {
        // The original error says more than this one.
      }
      for (const dir of placed) rmSync(dir, { recursive: true, force: true });
    }
    throw error;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return ids;
}
