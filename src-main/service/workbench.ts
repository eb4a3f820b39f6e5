// The workbench service: the one implementation of the API contract
// (shared/api.ts). Electron's IPC handler, `kerv serve` and the CLI are thin
// adapters over Workbench.invoke / Workbench.on. Plain Node: no Electron here.
import { mkdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { confinePath } from '../engine/safe-files';
import type {
  ApiArg,
  ApiChannel,
  ApiEventName,
  ApiEvents,
  ApiRequests,
  ApiResult,
  ClusterStatus,
  ModelDescription,
  RunDetail,
  Settings,
  SystemInfo,
} from '../shared/api';
import { CACHED_DATASETS, isDatasetName, type DatasetName } from '../shared/datasets';
import { BACKENDS, defaultRunConfig, parseRunConfig, type BackendChoice, type RunConfig } from '../shared/run-config';
import { TABLE_FORMATS } from '../shared/table-format';
import { Store } from '../store/store';
import { exportBundle, importBundle } from './bundle';
import { chooseResumeCheckpoint, discardCheckpointsAfter, resumeCheckpoint } from './checkpoints';
import type { ClusterCoordinator } from './cluster/coordinator';
import type { ClusterWorker } from './cluster/cluster-worker';
import { maskRedisUrl } from './cluster/redis';
import { compareRuns } from './compare';
import { buildExportTable, exportColumns, type ExportRun } from './export-table';
import { formatSeriesCsv } from './export-series';
import { dataPaths, type DataPaths } from './paths';
import { PRESETS } from './presets';
import { parseServiceRunConfig } from './run-validation';
import { parseRequest } from './requests';
import { RunScheduler } from './scheduler';
import { expandSweep } from './sweep';
import { configHash, defaultRunName, unknownRun } from './run-identity';
import { RunRecording } from './run-recording';
import { forkLauncher, type WorkerLauncher } from './worker/launcher';

export interface WorkbenchOptions {
  dataDir: string;
  appVersion: string;
  /** Runs trained at once; default: the saved setting, else 1. Not saved. */
  concurrency?: number;
  /** How run processes start; default: child_process.fork of out/node/train-worker.js. */
  launcher?: WorkerLauncher;
  /** better_sqlite3.node built for the running ABI (the Electron adapter passes Electron's). */
  nativeBinding?: string;
  /** Database size cap in pages (PRAGMA max_page_count): a quota, and how tests simulate a full disk. */
  maxPageCount?: number;
  /** How long a cancelled worker may take to stop before it is killed (ms, default 10 s). */
  cancelGraceMs?: number;
  /** On close, how long running workers get to checkpoint and stop before they are killed (ms, default 5 s). */
  stopGraceMs?: number;
  /** Start queued runs (default true). The CLI's read-only commands open with false and never spawn a worker. */
  startQueue?: boolean;
  /**
   * The cluster's Redis (redis://… or rediss://…): queued runs then go to the cluster's
   * workers. Undefined: the saved setting; null: none (everything trains here).
   */
  redisUrl?: string | null;
  /** With a cluster, whether this machine trains too (as a worker with `concurrency` slots; default true). */
  clusterLocalWorker?: boolean;
  /** With a cluster: how long a dead worker's runs wait before another worker takes them (ms, default 30 s). */
  clusterStallTimeoutMs?: number;
}

type Handlers = { [C in ApiChannel]: (arg: ApiRequests[C]['arg']) => Promise<ApiRequests[C]['result']> | ApiRequests[C]['result'] };
type Listener = (payload: never) => void;

const RESUMABLE = new Set(['failed', 'cancelled', 'interrupted']);

export class Workbench {
  readonly paths: DataPaths;
  private readonly listeners = new Map<ApiEventName, Set<Listener>>();
  private readonly scheduler: RunScheduler;
  private readonly handlers: Handlers;
  private systemInfo: Promise<SystemInfo> | null = null;
  /** Paths adapters granted (grantPath), with how many grants hold each. */
  private readonly grantedPaths = new Map<string, number>();
  private closed = false;
  private coordinator: ClusterCoordinator | null = null;
  private localWorker: ClusterWorker | null = null;
  /** Why the configured cluster is not in use (unreachable, wrong password), in words. */
  private clusterError: string | null = null;

  private constructor(
    readonly store: Store,
    private readonly options: WorkbenchOptions,
    /** Run ids found 'running' at open (a previous process died): now interrupted. */
    readonly recoveredRunIds: number[],
  ) {
    this.paths = dataPaths(options.dataDir);
    const saved = store.settings();
    this.scheduler = new RunScheduler({
      store,
      paths: this.paths,
      launcher: options.launcher ?? forkLauncher(),
      appVersion: options.appVersion,
      emit: (event, payload) => this.emit(event, payload),
      concurrency: options.concurrency ?? (typeof saved.concurrency === 'number' ? saved.concurrency : 1),
      backendSettings: () => {
        const { backend, webgpuAdapter, webgpuBackend } = this.settings();
        return { defaultBackend: backend, webgpu: { ...(webgpuAdapter ? { adapter: webgpuAdapter } : {}), ...(webgpuBackend ? { backend: webgpuBackend } : {}) } };
      },
      cancelGraceMs: options.cancelGraceMs,
      stopGraceMs: options.stopGraceMs,
    });
    this.handlers = this.createHandlers();
  }

  /**
   * Opens (creating if needed) the data folder and its database. Runs that a
   * previous process left 'running' become 'interrupted' (resumable), then the
   * queue starts.
   */
  static async open(o: WorkbenchOptions): Promise<Workbench> {
    const paths = dataPaths(o.dataDir);
    try {
      mkdirSync(paths.root, { recursive: true });
    } catch (error) {
      throw new Error(`Cannot create the data folder ${paths.root}: ${(error as Error).message}. Choose another with --data-dir or KERV_DATA_DIR.`);
    }
    const store = Store.open({ file: paths.database, nativeBinding: o.nativeBinding, maxPageCount: o.maxPageCount });
    const redisUrl = o.redisUrl === undefined ? savedRedisUrl(store) : o.redisUrl;
    let recovered: number[];
    try {
      // Runs the cluster trains are not orphans of this process: their workers go on without it.
      // Only a workbench that trains without a cluster takes them back (interrupted, resumable here).
      const keepClusterRuns = Boolean(redisUrl) || o.startQueue === false;
      const trainedElsewhere = new Set(keepClusterRuns ? store.cluster.openRuns().map((r) => r.runId) : []);
      recovered = store.transaction(() => {
        const ids = store.runs.interruptOrphans('the workbench process stopped while the run was training', isProcessAlive, trainedElsewhere);
        ids.forEach((id) => store.cluster.close(id));
        return ids;
      }, 'recover');
    } catch (error) {
      store.close();
      throw error;
    }
    const workbench = new Workbench(store, o, recovered);
    if (redisUrl && o.startQueue !== false) await workbench.connectCluster(redisUrl);
    if (o.startQueue !== false) workbench.scheduler.start();
    return workbench;
  }

  /**
   * Becomes the coordinator of the cluster on that Redis: ingests what the workers
   * reported meanwhile, hands queued runs over, and (unless told otherwise) lets
   * this machine train as one of the workers. When Redis cannot be used the error
   * is kept for the UI (and logged) and everything trains here, as without one.
   */
  private async connectCluster(redisUrl: string): Promise<void> {
    const { ClusterCoordinator } = await import('./cluster/coordinator');
    try {
      this.coordinator = await ClusterCoordinator.connect({
        redisUrl,
        store: this.store,
        paths: this.paths,
        emit: (event, payload) => this.emit(event, payload),
        appVersion: this.options.appVersion,
        defaultBackend: () => this.settings().backend,
        onChange: () => this.scheduler.pump(),
      });
    } catch (error) {
      this.clusterError = (error as Error).message;
      console.error(`kerv: the cluster is not available, runs train on this machine: ${this.clusterError}`);
      return;
    }
    this.scheduler.setPlacement(this.coordinator);
    if (this.options.clusterLocalWorker === false) return;
    const { ClusterWorker } = await import('./cluster/cluster-worker');
    const worker = new ClusterWorker({
      redisUrl,
      name: os.hostname(),
      concurrency: this.scheduler.concurrency,
      workDir: join(this.paths.root, 'cluster-worker'),
      datasetsDir: this.paths.datasetsDir,
      launcher: this.options.launcher ?? forkLauncher(),
      appVersion: this.options.appVersion,
      stallTimeoutMs: this.options.clusterStallTimeoutMs,
      log: (line) => console.error(line),
    });
    try {
      await worker.start();
      this.localWorker = worker;
    } catch (error) {
      console.error(`kerv: this machine does not train for the cluster: ${(error as Error).message}`);
    }
  }

  private async clusterStatus(): Promise<ClusterStatus> {
    if (this.coordinator) return this.coordinator.status();
    const url = this.options.redisUrl === undefined ? savedRedisUrl(this.store) : this.options.redisUrl;
    return { redisUrl: maskOptional(url), connected: false, error: this.clusterError, workers: [] };
  }

  /** Handles one request: validates the argument, then runs it. Throws Error (ConfigError carries issues). */
  async invoke<C extends ApiChannel>(channel: C, arg: ApiArg<C>): Promise<ApiResult<C>> {
    if (this.closed) throw new Error('The workbench is closed.');
    const handler = this.handlers[channel] as ((a: unknown) => Promise<ApiResult<C>> | ApiResult<C>) | undefined;
    if (!handler) throw new Error(`Unknown request '${String(channel)}'.`);
    const parsed = parseRequest(channel, arg);
    return await handler(parsed);
  }

  /** See WorkbenchApi.grantPath: a path the user chose, usable by requests although outside the data folder. */
  grantPath(path: string): () => void {
    const absolute = resolve(path);
    this.grantedPaths.set(absolute, (this.grantedPaths.get(absolute) ?? 0) + 1);
    return () => {
      const n = (this.grantedPaths.get(absolute) ?? 1) - 1;
      if (n > 0) this.grantedPaths.set(absolute, n);
      else this.grantedPaths.delete(absolute);
    };
  }

  /** A path a request names: one the adapter granted, else confined to the bundles folder (relative paths resolve there). */
  private requestPath(path: string, field: string): string {
    if (isAbsolute(path) && this.grantedPaths.has(resolve(path))) return resolve(path);
    mkdirSync(this.paths.bundlesDir, { recursive: true });
    return confinePath(this.paths.bundlesDir, path, field);
  }

  on<E extends ApiEventName>(event: E, listener: (p: ApiEvents[E]) => void): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener as Listener);
    return () => set.delete(listener as Listener);
  }

  private emit<E extends ApiEventName>(event: E, payload: ApiEvents[E]): void {
    for (const listener of this.listeners.get(event) ?? []) {
      try {
        (listener as (p: ApiEvents[E]) => void)(payload);
      } catch (error) {
        // A failing subscriber (a closed socket) must not stop the run being recorded.
        console.error(`workbench: a '${event}' listener threw: ${(error as Error).message}`);
      }
    }
  }

  /** Lets the queue run (after open with startQueue: false) and starts what fits. */
  startQueue(): void {
    this.scheduler.start();
  }

  /** Resolves when nothing is queued or running. */
  whenIdle(): Promise<void> {
    return this.scheduler.whenIdle();
  }

  /** Stops running workers (their runs become interrupted and resumable) and closes the database. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // This machine's cluster runs checkpoint and go back to the queue; the others keep training.
    await this.localWorker?.close();
    await this.coordinator?.close();
    await this.scheduler.close();
    this.listeners.clear();
    this.store.close();
  }

  // ---- settings ----

  private settings(): Settings {
    const saved = this.store.settings();
    return {
      dataDir: this.paths.root,
      backend: (BACKENDS as readonly unknown[]).includes(saved.backend) ? (saved.backend as BackendChoice) : 'auto',
      webgpuAdapter: typeof saved.webgpuAdapter === 'string' ? saved.webgpuAdapter : '',
      webgpuBackend: typeof saved.webgpuBackend === 'string' ? saved.webgpuBackend : '',
      concurrency: this.scheduler.concurrency,
      redisUrl: maskOptional(savedRedisUrl(this.store)),
    };
  }

  // ---- runs ----

  private requireRun(id: number) {
    const run = this.store.runs.get(id);
    if (!run) throw unknownRun(id);
    return run;
  }

  private detail(id: number): RunDetail {
    const run = this.requireRun(id);
    const env = this.store.runs.getEnvironment(id);
    const { origin: _origin, ...rest } = run;
    return {
      ...rest,
      environment: env?.environment ?? null,
      dataset_info: env?.dataset ?? null,
      resumable: RESUMABLE.has(run.status) && resumeCheckpoint(this.paths.checkpointDir(id), run.step) !== null,
      ranOn: this.store.cluster.worker(id),
    };
  }

  /**
   * A run this process trains itself, outside the queue (`kerv train`): created
   * 'running' and owned by this process in one transaction (no other workbench on
   * the folder can start it), then recorded through the returned RunRecording.
   */
  recordRun(config: RunConfig, origin: string): RunRecording {
    const id = this.store.transaction(() => {
      const newId = this.store.runs.insert({ name: config.name ?? defaultRunName(config), config, configHash: configHash(config), origin });
      this.store.runs.transition(newId, 'running');
      return newId;
    });
    this.emit('run:status', { id, status: 'running', error: null });
    return new RunRecording(this.store, (event, payload) => this.emit(event, payload), id);
  }

  /** Creates a queued run; `first` puts it at the front of the queue. */
  private createRun(config: RunConfig, extra: { name?: string; groupId?: number | null; origin?: string; first?: boolean } = {}): number {
    const id = this.store.transaction(() => {
      const newId = this.store.runs.insert({
        name: extra.name ?? config.name ?? defaultRunName(config),
        config,
        configHash: configHash(config),
        groupId: extra.groupId ?? null,
        origin: extra.origin ?? null,
      });
      if (extra.first) this.store.runs.reorderQueue([newId]);
      return newId;
    });
    this.emit('run:status', { id, status: 'queued', error: null });
    return id;
  }

  private resume(id: number): void {
    const run = this.requireRun(id);
    if (!RESUMABLE.has(run.status)) {
      throw new Error(`Run ${id} is ${run.status}; only failed, cancelled or interrupted runs can be resumed.`);
    }
    const checkpointDir = this.paths.checkpointDir(id);
    // Verify before deleting anything: a damaged newest checkpoint falls back to the previous good one.
    const { checkpoint, corrupt } = chooseResumeCheckpoint(checkpointDir, this.store.metrics.lastStep(id));
    if (!checkpoint && corrupt.length > 0) {
      throw new Error(`Run ${id} cannot resume: ${corrupt.map((c) => c.problem).join('; ')}; there is no earlier good checkpoint. Nothing was deleted; re-run it instead.`);
    }
    const fromStep = checkpoint?.step ?? 0;
    this.store.transaction(() => {
      for (const { checkpoint: bad, problem } of corrupt) {
        this.store.runs.log(id, 'warn', `skipped the checkpoint at step ${bad.step}: ${problem}`);
      }
      // The curve continues from the checkpoint: steps recorded after it are trained again, so they go.
      this.store.metrics.truncateAfter(id, fromStep);
      this.store.runs.setProgressFields(id, { step: fromStep, bestValidationAccuracy: this.store.metrics.bestValidationAccuracy(id) });
      this.store.runs.transition(id, 'queued');
      this.store.runs.log(
        id,
        'info',
        checkpoint
          ? `resume requested from the checkpoint at step ${fromStep} (${checkpointPosition(checkpoint)})`
          : 'resume requested: no usable checkpoint, restarting from step 0',
      );
    });
    discardCheckpointsAfter(checkpointDir, fromStep);
    this.emit('run:status', { id, status: 'queued', error: null });
    this.scheduler.pump();
  }

  private deleteRuns(ids: number[]): void {
    for (const id of ids) {
      const run = this.requireRun(id);
      if (run.status === 'running') throw new Error(`Run ${id} is running; cancel it before deleting it.`);
    }
    this.store.transaction(() => this.store.runs.delete(ids));
    for (const id of ids) rmSync(this.paths.runDir(id), { recursive: true, force: true });
  }

  /** The runs an export or bundle covers: explicit ids, then every run of the groups; unknown ids are errors. */
  private selectRuns(runIds: number[] = [], groupIds: number[] = []): number[] {
    for (const id of runIds) this.requireRun(id);
    for (const g of groupIds) if (!this.store.runs.group(g)) throw new Error(`Group ${g} does not exist.`);
    const ids = [...new Set([...runIds, ...this.store.runs.idsInGroups(groupIds)])];
    if (runIds.length === 0 && groupIds.length === 0) {
      return this.store.runs.idsWithStatus('completed');
    }
    return ids;
  }

  private exportRun(id: number): ExportRun {
    const run = this.requireRun(id);
    return { ...run, lastEpoch: this.store.metrics.lastEpoch(id) };
  }

  // ---- datasets and models (the engine, loaded on first use so list/show commands stay light) ----

  private async datasetList() {
    const { datasetStatus } = await import('../engine/data/index');
    return Promise.all(CACHED_DATASETS.map((name) => datasetStatus(name, this.paths.datasetsDir)));
  }

  private checkDatasetName(name: string): DatasetName {
    if (!isDatasetName(name) || !CACHED_DATASETS.includes(name)) {
      throw new Error(`Unknown dataset '${name}'; expected one of ${CACHED_DATASETS.join(', ')} (image folders are read in place via dataset.path).`);
    }
    return name;
  }

  private async describeModel(input: unknown): Promise<ModelDescription> {
    const config = parseRunConfig(input);
    const [{ describeConfig }, { previewDataset }] = await Promise.all([import('../engine/models/build-model'), import('../engine/data/index')]);
    const preview = await previewDataset(config.dataset).catch((error: unknown) => {
      // Only a dataset read from dataset.path can fail here; say which field to fix.
      throw new Error(`dataset.path: ${error instanceof Error ? error.message : String(error)}`);
    });
    return describeConfig(config.model, { inputShape: preview.inputShape, numClasses: preview.classNames.length });
  }

  private async probeSystem(): Promise<SystemInfo> {
    const { initBackend } = await import('../engine/backend/select-backend');
    const selection = await initBackend('auto');
    const backends = [...selection.tried];
    if (!backends.some((b) => b.name === 'cpu')) backends.push({ name: 'cpu', available: true, detail: 'pure JavaScript (slow reference)' });
    for (const name of ['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm']) {
      if (!backends.some((b) => b.name === name)) backends.push({ name, available: false, detail: 'not tried: a preferred backend was available' });
    }
    return {
      appVersion: this.options.appVersion,
      dataDir: this.paths.root,
      backends,
      selectedBackend: selection.backend,
      device: selection.device,
      concurrency: this.scheduler.concurrency,
    };
  }

  private createHandlers(): Handlers {
    return {
      'system:info': async () => ({ ...(await (this.systemInfo ??= this.probeSystem())), concurrency: this.scheduler.concurrency }),
      'settings:get': () => this.settings(),
      'settings:set': (arg) => {
        if (arg.dataDir !== undefined && arg.dataDir !== this.paths.root) {
          throw new Error(`The data folder is chosen when the workbench starts (--data-dir or KERV_DATA_DIR); it is ${this.paths.root}.`);
        }
        this.store.setSettings({ backend: arg.backend, concurrency: arg.concurrency, redisUrl: arg.redisUrl, webgpuAdapter: arg.webgpuAdapter, webgpuBackend: arg.webgpuBackend });
        if (arg.concurrency !== undefined) {
          this.scheduler.concurrency = arg.concurrency;
          this.scheduler.pump();
        }
        return this.settings();
      },
      'config:defaults': () => ({ config: defaultRunConfig(), presets: PRESETS }),
      'config:validate': (arg) => {
        try {
          parseServiceRunConfig(arg);
          return { ok: true, issues: [] };
        } catch (error) {
          const issues = (error as { issues?: { path: string; message: string }[] }).issues;
          if (!issues) throw error;
          return { ok: false, issues };
        }
      },
      'models:describe': (arg) => this.describeModel(arg),
      'datasets:list': () => this.datasetList(),
      'datasets:download': async ({ name }) => {
        const { downloadDataset } = await import('../engine/data/index');
        return downloadDataset(this.checkDatasetName(name), {
          cacheDir: this.paths.datasetsDir,
          onProgress: (p) => this.emit('dataset:progress', { name: p.name, receivedBytes: p.receivedBytes, totalBytes: p.totalBytes, phase: p.phase }),
        });
      },
      'datasets:import': async ({ name, path }) => {
        const { importDataset } = await import('../engine/data/index');
        return importDataset(this.checkDatasetName(name), this.requestPath(path, 'path'), {
          cacheDir: this.paths.datasetsDir,
          onProgress: (p) => this.emit('dataset:progress', { name: p.name, receivedBytes: p.receivedBytes, totalBytes: p.totalBytes, phase: p.phase }),
        });
      },
      'runs:list': (query) => this.store.read(() => this.store.runs.list(query ?? {})),
      'runs:get': ({ id }) => this.detail(id),
      'runs:metrics': ({ id, sinceStep }) => {
        this.requireRun(id);
        return this.store.read(() => this.store.metrics.metrics(id, sinceStep ?? 0));
      },
      'runs:samples': ({ id }) => {
        this.requireRun(id);
        return this.store.metrics.samples(id);
      },
      'runs:scalars': ({ id, prefix, sinceStep }) => {
        this.requireRun(id);
        return this.store.read(() => this.store.metrics.scalars(id, { prefix, sinceStep }));
      },
      'runs:start': ({ config, queue }) => {
        const id = this.createRun(parseServiceRunConfig(config), { first: queue === false });
        this.scheduler.pump();
        return { id };
      },
      'runs:cancel': ({ id }) => {
        this.requireRun(id);
        this.scheduler.cancel(id);
      },
      'runs:resume': ({ id }) => this.resume(id),
      'runs:rerun': ({ id }) => {
        const run = this.requireRun(id);
        const newId = this.createRun(run.config, { name: `${run.name} (re-run)`, groupId: run.groupId, origin: `re-run of run ${id}` });
        this.scheduler.pump();
        return { id: newId };
      },
      'runs:delete': ({ ids }) => this.deleteRuns(ids),
      'runs:update': ({ id, name, tags, notes }) => {
        this.requireRun(id);
        this.store.transaction(() => this.store.runs.update(id, { name, tags, notes }));
        return this.detail(id);
      },
      'runs:log': ({ id }) => {
        this.requireRun(id);
        return this.store.runs.logs(id);
      },
      'runs:exportBundle': ({ ids, path }) => {
        ids.forEach((id) => this.requireRun(id));
        return exportBundle(this.store, ids, this.requestPath(path, 'path'), (id) => this.paths.checkpointDir(id));
      },
      'runs:importBundle': ({ path }) => {
        const ids = importBundle(this.store, this.paths, this.requestPath(path, 'path'));
        for (const id of ids) {
          const run = this.store.runs.get(id)!;
          this.emit('run:status', { id, status: run.status, error: run.error });
        }
        return { ids };
      },
      'queue:get': () => ({ ids: this.store.runs.queuedIds(), concurrency: this.scheduler.concurrency }),
      'queue:reorder': ({ ids }) => {
        this.store.transaction(() => this.store.runs.reorderQueue(ids));
      },
      'sweeps:start': (request) => {
        const points = expandSweep(request);
        const axes = Object.keys(request.grid).join(', ') || 'seeds';
        const { groupId, runIds } = this.store.transaction(() => {
          const gid = this.store.runs.createGroup(request.name ?? `sweep over ${axes}`, 'sweep', request);
          const ids = points.map((p) =>
            this.store.runs.insert({ name: p.name || defaultRunName(p.config), config: p.config, configHash: configHash(p.config), groupId: gid }),
          );
          return { groupId: gid, runIds: ids };
        });
        for (const id of runIds) this.emit('run:status', { id, status: 'queued', error: null });
        this.scheduler.pump();
        return { groupId, runIds };
      },
      'groups:list': () => this.store.runs.groups(),
      // Unknown ids are reported in `missing`, not thrown: a saved link to runs one of which was deleted still compares the rest.
      'compare:get': ({ ids }) => this.store.read(() => compareRuns(this.store, ids)),
      'export:table': (request) => {
        const ids = this.selectRuns(request.runIds, request.groupIds);
        const table = buildExportTable(ids.map((id) => this.exportRun(id)), request);
        const format = TABLE_FORMATS[request.format];
        return { text: format.format(table), mime: format.mime, extension: format.extension };
      },
      'export:series': ({ runIds, groupIds }) => {
        const ids = this.selectRuns(runIds, groupIds);
        const text = formatSeriesCsv(ids.map((id) => ({ id, name: this.requireRun(id).name, metrics: this.store.metrics.metrics(id) })));
        return { text, mime: 'text/csv', extension: 'csv' };
      },
      'export:columns': () => exportColumns(),
      'cluster:status': () => this.clusterStatus(),
    };
  }
}

/**
 * Where a checkpoint sits, in the 1-based epochs every other message uses: a
 * checkpoint's `epoch` counts the epochs it completed, so a mid-epoch (partial)
 * one is inside the next.
 */
export function checkpointPosition(checkpoint: { epoch: number; path: string }): string {
  return /-partial$/.test(checkpoint.path) ? `in epoch ${checkpoint.epoch + 1}` : `end of epoch ${checkpoint.epoch}`;
}

const maskOptional = (url: string | null) => (url ? maskRedisUrl(url) : null);

/** The Redis URL saved in the settings, if any. */
function savedRedisUrl(store: Store): string | null {
  const value = store.settings().redisUrl;
  return typeof value === 'string' && value !== '' ? value : null;
}

/** Whether a process with this pid exists (signal 0 checks without signalling). */
function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
