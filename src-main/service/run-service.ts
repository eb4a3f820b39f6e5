// Runs: what the contract's runs:*, queue:*, sweeps:*, groups:* and compare:*
// requests do — create, resume, re-run, delete, annotate and read runs and their
// metrics, and order the queue. Training itself is the scheduler's (scheduler.ts);
// this module decides what may happen to a run and records it.
import { rmSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { checkpointPosition, discardCheckpointsAfter, type CheckpointOnDisk } from '../engine/train/checkpoint-folders';
import type { RunDetail } from '../shared/api';
import { conflict, notFound, runNotFound } from '../shared/errors';
import { replicateKey, type RunConfig } from '../shared/run-config';
import type { StoredRun } from '../store/store';
import { chooseResumeCheckpoint, resumeCheckpoint, runCheckpointDir } from './checkpoints';
import { compareRuns } from './compare';
import { configHash, defaultRunName } from './run-identity';
import { RunRecording } from './run-recording';
import { parseServiceRunConfig } from './run-validation';
import type { HandlerMap, ServiceContext } from './service-context';
import { expandSweep, sweepAsha } from './sweep';

const RESUMABLE = new Set(['failed', 'cancelled', 'interrupted']);

type RunChannel =
  | 'runs:list'
  | 'runs:get'
  | 'runs:metrics'
  | 'runs:samples'
  | 'runs:scalars'
  | 'runs:start'
  | 'runs:cancel'
  | 'runs:resume'
  | 'runs:rerun'
  | 'runs:delete'
  | 'runs:update'
  | 'runs:log'
  | 'queue:get'
  | 'queue:reorder'
  | 'sweeps:start'
  | 'groups:list'
  | 'groups:rungs'
  | 'compare:get';

export class RunService {
  constructor(private readonly ctx: ServiceContext) {}

  /** The stored run, or a not-found error naming its id. */
  requireRun(id: number): StoredRun {
    const run = this.ctx.store.runs.get(id);
    if (!run) throw runNotFound(id);
    return run;
  }

  /** The runs an export or bundle covers: explicit ids, then every run of the groups; none named: the completed runs. */
  select(runIds: number[] = [], groupIds: number[] = []): number[] {
    const { store } = this.ctx;
    for (const id of runIds) this.requireRun(id);
    for (const g of groupIds) if (!store.runs.group(g)) throw notFound(`Group ${g} not found.`);
    if (runIds.length === 0 && groupIds.length === 0) return store.runs.idsWithStatus('completed');
    return [...new Set([...runIds, ...store.runs.idsInGroups(groupIds)])];
  }

  detail(id: number): RunDetail {
    const { store, paths } = this.ctx;
    const run = this.requireRun(id);
    const env = store.runs.getEnvironment(id);
    return {
      ...run,
      environment: env?.environment ?? null,
      dataset_info: env?.dataset ?? null,
      resumable: RESUMABLE.has(run.status) && resumeCheckpoint(runCheckpointDir(store, paths, id), run.step) !== null,
      ranOn: store.cluster.worker(id),
    };
  }

  /**
   * A run this process trains itself, outside the queue (`kerv train`): created
   * 'running' and owned by this process in one transaction (no other workbench on
   * the folder can start it), then recorded through the returned RunRecording.
   * `checkpointDir`: where it checkpoints when not in its run folder (--checkpoint-dir),
   * kept so that `kerv train --resume` of that folder continues this run.
   */
  recordRun(config: RunConfig, origin: string, checkpointDir?: string): RunRecording {
    const { store, paths, emit } = this.ctx;
    const external = checkpointDir ? resolve(checkpointDir) : null;
    const id = store.transaction(() => {
      const newId = store.runs.insert({ name: config.name ?? defaultRunName(config), config, configHash: configHash(config), origin, checkpointDir: external });
      store.runs.transition(newId, 'running');
      return newId;
    });
    emit('run:status', { id, status: 'running', error: null });
    return new RunRecording(store, emit, id, external ?? paths.checkpointDir(id));
  }

  /** The recorded run whose checkpoints `dir` holds: its run folder's, or the --checkpoint-dir it was recorded with; null when none. */
  runOfCheckpointDir(dir: string): StoredRun | null {
    const { store, paths } = this.ctx;
    const absolute = resolve(dir);
    const own = /^(\d+)[\\/]checkpoint$/.exec(relative(paths.runsDir, absolute));
    const id = own ? Number(own[1]) : store.runs.idWithCheckpointDir(absolute);
    return id === null ? null : store.runs.get(id);
  }

  /**
   * Continues a recorded run in this process (`kerv train --resume`): the queue's
   * resume (the same checks and rewind, to the newest good checkpoint in
   * `checkpointDir` at or before `upToStep`), claimed 'running' by this process and
   * recorded through the returned RunRecording. `config` may differ from the
   * stored one where the engine allows it on resume (more epochs, another backend).
   */
  continueRun(id: number, checkpointDir: string, config: RunConfig, upToStep: number): { recording: RunRecording; resumeFrom: string | null } {
    const { store, emit } = this.ctx;
    const checkpoint = this.rewind(id, checkpointDir, { claim: true, upToStep, config });
    emit('run:status', { id, status: 'running', error: null });
    return { recording: new RunRecording(store, emit, id, checkpointDir), resumeFrom: checkpoint?.path ?? null };
  }

  /** Creates a queued run; `first` puts it at the front of the queue. */
  private createRun(config: RunConfig, extra: { name?: string; groupId?: number | null; origin?: string; first?: boolean } = {}): number {
    const { store } = this.ctx;
    const id = store.transaction(() => {
      const newId = store.runs.insert({
        name: extra.name ?? config.name ?? defaultRunName(config),
        config,
        configHash: configHash(config),
        groupId: extra.groupId ?? null,
        origin: extra.origin ?? null,
      });
      if (extra.first) store.runs.reorderQueue([newId]);
      return newId;
    });
    this.ctx.emit('run:status', { id, status: 'queued', error: null });
    this.ctx.scheduler.pump();
    return id;
  }

  private resume(id: number): void {
    this.rewind(id, runCheckpointDir(this.ctx.store, this.ctx.paths, id));
    this.ctx.emit('run:status', { id, status: 'queued', error: null });
    this.ctx.scheduler.pump();
  }

  /**
   * What resuming a run means, wherever it then trains: only a failed, cancelled or
   * interrupted run; from the newest good checkpoint (at or before `upToStep`),
   * with the curve after it and the checkpoints after it discarded; queued, or with
   * `claim`, running in this process at once. Returns the checkpoint, or null (from step 0).
   */
  private rewind(id: number, checkpointDir: string, options: { claim?: boolean; upToStep?: number; config?: RunConfig } = {}): CheckpointOnDisk | null {
    const { store } = this.ctx;
    const run = this.requireRun(id);
    if (!RESUMABLE.has(run.status)) throw conflict(`Run ${id} is ${run.status}; only failed, cancelled or interrupted runs can be resumed.`);
    // Verify before deleting anything: a damaged newest checkpoint falls back to the previous good one.
    const { checkpoint, corrupt } = chooseResumeCheckpoint(checkpointDir, Math.min(store.metrics.lastStep(id), options.upToStep ?? Infinity));
    if (!checkpoint && corrupt.length > 0) {
      throw conflict(`Run ${id} cannot resume: ${corrupt.map((c) => c.problem).join('; ')}; there is no earlier good checkpoint. Nothing was deleted; re-run it instead.`);
    }
    const fromStep = checkpoint?.step ?? 0;
    store.transaction(() => {
      for (const { checkpoint: bad, problem } of corrupt) store.runs.log(id, 'warn', `skipped the checkpoint at step ${bad.step}: ${problem}`);
      // The curve continues from the checkpoint: steps recorded after it are trained again, so they go.
      store.metrics.truncateAfter(id, fromStep);
      store.runs.setProgressFields(id, { step: fromStep, bestValidationAccuracy: store.metrics.bestValidationAccuracy(id) });
      if (options.config && replicateKey(options.config) !== replicateKey(run.config)) store.runs.updateConfig(id, options.config);
      store.runs.transition(id, 'queued');
      if (options.claim) store.runs.transition(id, 'running');
      store.runs.log(
        id,
        'info',
        checkpoint ? `resume requested from the checkpoint at step ${fromStep} (${checkpointPosition(checkpoint)})` : 'resume requested: no usable checkpoint, restarting from step 0',
      );
    });
    discardCheckpointsAfter(checkpointDir, fromStep);
    return checkpoint;
  }

  private deleteRuns(ids: number[]): void {
    for (const id of ids) {
      if (this.requireRun(id).status === 'running') throw conflict(`Run ${id} is running; cancel it before deleting it.`);
    }
    this.ctx.store.transaction(() => this.ctx.store.runs.delete(ids));
    // The run folder only: checkpoints `kerv train --checkpoint-dir` wrote elsewhere are the user's folder, not ours to delete.
    for (const id of ids) rmSync(this.ctx.paths.runDir(id), { recursive: true, force: true });
  }

  private startSweep(request: Parameters<typeof expandSweep>[0]): { groupId: number; runIds: number[] } {
    const { store } = this.ctx;
    const points = expandSweep(request);
    const asha = sweepAsha(request, points);
    const axes = Object.keys(request.grid).join(', ') || 'seeds';
    const result = store.transaction(() => {
      const groupId = store.runs.createGroup(request.name ?? `sweep over ${axes}`, 'sweep', request);
      if (asha) store.asha.setOptions(groupId, asha);
      const runIds = points.map((p) => store.runs.insert({ name: p.name || defaultRunName(p.config), config: p.config, configHash: configHash(p.config), groupId }));
      return { groupId, runIds };
    });
    for (const id of result.runIds) this.ctx.emit('run:status', { id, status: 'queued', error: null });
    this.ctx.scheduler.pump();
    return result;
  }

  /** Reading handlers check the run exists first, so a missing one is a not-found error rather than an empty answer. */
  handlers(): HandlerMap<RunChannel> {
    const { store, scheduler } = this.ctx;
    const read = <T>(id: number, fn: () => T): T => {
      this.requireRun(id);
      return store.read(fn);
    };
    return {
      'runs:list': (query) => store.read(() => store.runs.list(query ?? {})),
      'runs:get': ({ id }) => this.detail(id),
      'runs:metrics': ({ id, sinceStep }) => read(id, () => store.metrics.metrics(id, sinceStep ?? 0)),
      'runs:samples': ({ id }) => read(id, () => store.metrics.samples(id)),
      'runs:scalars': ({ id, prefix, sinceStep }) => read(id, () => store.metrics.scalars(id, { prefix, sinceStep })),
      'runs:log': ({ id }) => read(id, () => store.runs.logs(id)),
      'runs:start': ({ config, queue }) => ({ id: this.createRun(parseServiceRunConfig(config), { first: queue === false }) }),
      'runs:cancel': ({ id }) => {
        this.requireRun(id);
        scheduler.cancel(id);
      },
      'runs:resume': ({ id }) => this.resume(id),
      'runs:rerun': ({ id }) => {
        const run = this.requireRun(id);
        return { id: this.createRun(run.config, { name: `${run.name} (re-run)`, groupId: run.groupId, origin: `re-run of run ${id}` }) };
      },
      'runs:delete': ({ ids }) => this.deleteRuns(ids),
      'runs:update': ({ id, name, tags, notes }) => {
        this.requireRun(id);
        store.transaction(() => store.runs.update(id, { name, tags, notes }));
        return this.detail(id);
      },
      'queue:get': () => ({ ids: store.runs.queuedIds(), concurrency: scheduler.concurrency }),
      'queue:reorder': ({ ids }) => store.transaction(() => store.runs.reorderQueue(ids)),
      'sweeps:start': (request) => this.startSweep(request),
      'groups:list': () => store.runs.groups(),
      'groups:rungs': ({ id }) => {
        if (!store.runs.group(id)) throw notFound(`Group ${id} not found.`);
        return store.read(() => store.asha.records(id));
      },
      // Unknown ids are reported in `missing`, not thrown: a saved link to runs one of which was deleted still compares the rest.
      'compare:get': ({ ids }) => store.read(() => compareRuns(store, ids)),
    };
  }
}
