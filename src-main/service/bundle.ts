// Run bundles: one .kervrun file (gzipped JSON) holding everything needed to
// look at a run on another machine and to keep training it — config,
// reproducibility metadata, every metric, the sample images, the log and the
// final checkpoint's files (base64). Import creates new runs (new ids) and
// restores the checkpoint under the new run's folder.
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { RunMetrics, RunStatus } from '../shared/api';
import type { SampleImage, StepMetrics, TrainSummary } from '../shared/progress';
import { parseRunConfig, type RunConfig } from '../shared/run-config';
import type { Store } from '../store/store';
import { checkpointsOnDisk } from './checkpoints';
import type { DataPaths } from './paths';
import { configHash } from './run-identity';

export const BUNDLE_FORMAT = 'kervrun';
export const BUNDLE_VERSION = 1;

interface BundledRun {
  id: number;
  name: string;
  status: RunStatus;
  config: RunConfig;
  tags: string[];
  notes: string;
  error: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
  step: number;
  totalSteps: number | null;
  bestValidationAccuracy: number | null;
  testAccuracy: number | null;
  parameterCount: number | null;
  summary: TrainSummary | null;
  environment: ReturnType<Store['runs']['getEnvironment']>;
  metrics: RunMetrics;
  samples: SampleImage[];
  logs: { level: string; message: string; at: string }[];
  /** The newest checkpoint: its step and files relative to the checkpoint folder. */
  checkpoint: { step: number; epoch: number; folder: string; files: { path: string; base64: string }[] } | null;
}

interface Bundle {
  format: typeof BUNDLE_FORMAT;
  version: number;
  exportedAt: string;
  runs: BundledRun[];
}

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

export function exportBundle(store: Store, ids: number[], path: string, checkpointDir: (id: number) => string = (id) => join(dirname(store.file), 'runs', String(id), 'checkpoint')): { path: string; bytes: number } {
  const bundle: Bundle = { format: BUNDLE_FORMAT, version: BUNDLE_VERSION, exportedAt: new Date().toISOString(), runs: ids.map((id) => bundleRun(store, checkpointDir(id), id)) };
  const bytes = gzipSync(Buffer.from(JSON.stringify(bundle)));
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, bytes);
  return { path, bytes: statSync(path).size };
}

function readBundle(path: string): Bundle {
  let bundle: Bundle;
  try {
    bundle = JSON.parse(gunzipSync(readFileSync(path)).toString('utf8')) as Bundle;
  } catch (error) {
    throw new Error(`${path} is not a .kervrun bundle (${(error as Error).message}).`);
  }
  if (bundle?.format !== BUNDLE_FORMAT || !Array.isArray(bundle.runs)) throw new Error(`${path} is not a .kervrun bundle (format field missing).`);
  if (bundle.version > BUNDLE_VERSION) throw new Error(`${path} is a version ${bundle.version} bundle; this workbench reads version ${BUNDLE_VERSION}. Update the app.`);
  return bundle;
}

function stepsOf(series: RunMetrics['steps']): StepMetrics[] {
  return series.step.map((step, i) => ({
    step,
    epoch: series.epoch[i],
    loss: series.loss[i] ?? NaN,
    accuracy: series.accuracy[i] ?? NaN,
    learningRate: series.learningRate[i],
    imagesPerSecond: series.imagesPerSecond[i],
    wallTimeMs: series.wallTimeMs[i],
  }));
}

/** A run that was training or waiting when exported is, on this machine, interrupted: it can be resumed. */
function importedStatus(status: RunStatus): RunStatus {
  return status === 'running' || status === 'queued' ? 'interrupted' : status;
}

export function importBundle(store: Store, paths: DataPaths, path: string): number[] {
  const bundle = readBundle(path);
  const ids: number[] = [];
  const checkpoints: { id: number; run: BundledRun }[] = [];
  store.transaction(() => {
    for (const run of bundle.runs) {
      const config = parseRunConfig(run.config);
      const id = store.runs.insert({
        name: run.name,
        config,
        configHash: configHash(config),
        tags: run.tags,
        notes: run.notes,
        status: importedStatus(run.status),
        origin: `imported from ${path} (run ${run.id})`,
      });
      store.runs.restoreLifecycle(id, { createdAt: run.createdAt, startedAt: run.startedAt, finishedAt: run.finishedAt, error: run.error });
      store.runs.setProgressFields(id, {
        step: run.step,
        totalSteps: run.totalSteps ?? undefined,
        durationMs: run.durationMs,
        bestValidationAccuracy: run.bestValidationAccuracy,
        testAccuracy: run.testAccuracy,
        parameterCount: run.parameterCount ?? undefined,
        summary: run.summary ?? undefined,
      });
      if (run.environment) store.runs.setEnvironment(id, run.environment.seed, run.environment.environment, run.environment.dataset);
      store.metrics.appendSteps(id, stepsOf(run.metrics.steps));
      for (const epoch of run.metrics.epochs) store.metrics.putEpoch(id, epoch);
      store.metrics.putSamples(id, run.samples);
      for (const log of run.logs) store.runs.log(id, log.level, log.message, log.at);
      ids.push(id);
      if (run.checkpoint) checkpoints.push({ id, run });
    }
  }, 'import into');
  for (const { id, run } of checkpoints) {
    const folder = join(paths.checkpointDir(id), run.checkpoint!.folder);
    for (const file of run.checkpoint!.files) {
      if (file.path.split('/').includes('..')) throw new Error(`${path}: checkpoint file '${file.path}' points outside its folder.`);
      const target = join(folder, ...file.path.split('/'));
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, Buffer.from(file.base64, 'base64'));
    }
  }
  return ids;
}
