// The workbench service: the one implementation of the API contract
// (shared/api.ts). Electron's IPC handler, `kerv serve` and the CLI are thin
// adapters over Workbench.invoke / Workbench.on; none of them sees the store.
// This class opens the data folder, recovers what a previous process left,
// connects the cluster and routes each request to the service that answers it:
//   run-service.ts       runs, queue, sweeps, groups, compare
//   dataset-service.ts   datasets
//   export-service.ts    tables, series, run bundles
//   config-service.ts    defaults, validation, model descriptions
//   settings-service.ts  settings, system info
//   lr-find-service.ts   the learning-rate finder and its history
// Plain Node: no Electron here.
import { mkdirSync } from 'node:fs';
import os from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { confinePath } from '../engine/safe-files';
import type { ApiArg, ApiChannel, ApiEventName, ApiEvents, ApiResult, ClusterStatus } from '../shared/api';
import { invalidInput } from '../shared/errors';
import type { RunConfig, WebGpuOptions } from '../shared/run-config';
import { Store } from '../store/store';
import type { StoredRun } from '../store/store';
import type { ClusterCoordinator } from './cluster/coordinator';
import type { ClusterWorker } from './cluster/cluster-worker';
import { configHandlers } from './config-service';
import { DatasetService } from './dataset-service';
import { ExportService } from './export-service';
import { dataPaths, type DataPaths } from './paths';
import { parseRequest } from './requests';
import type { RunRecording } from './run-recording';
import { RunService } from './run-service';
import { RunScheduler } from './scheduler';
import type { HandlerMap, ServiceContext } from './service-context';
import { maskOptional, savedGpuSlots, savedRedisUrl, SettingsService } from './settings-service';
import { autoPicksGpu, GpuSlotPlanner, trainsOnGpu } from './gpu-slots';
import { forkLauncher, type WorkerLauncher } from './worker/launcher';
import { LrFindService } from './lr-find-service';
import { isProcessAlive } from './process-alive';

export interface WorkbenchOptions {
  dataDir: string;
  appVersion: string;
  /** Runs trained at once; default: the saved setting, else 1. Not saved. */
  concurrency?: number;
  /** Runs trained on the GPU at once (a number, or 'auto'), for this process only; default: the saved setting. */
  gpuSlots?: number | 'auto';
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

type Listener = (payload: never) => void;

export class Workbench {
  readonly paths: DataPaths;
  private readonly listeners = new Map<ApiEventName, Set<Listener>>();
  private readonly scheduler: RunScheduler;
  private readonly runs: RunService;
  private readonly settings: SettingsService;
  private readonly lrFinder: LrFindService;
  private readonly handlers: HandlerMap<ApiChannel>;
  /** Paths adapters granted (grantPath), with how many grants hold each. */
  private readonly grantedPaths = new Map<string, number>();
  private closed = false;
  private coordinator: ClusterCoordinator | null = null;
  private localWorker: ClusterWorker | null = null;
  /** Why the configured cluster is not in use (unreachable, wrong password), in words. */
  private clusterError: string | null = null;
  /** Whether a run whose backend is 'auto' trains on a GPU here (autoRunsOnGpu). */
  private autoPicksGpu = false;

  private constructor(
    /** Only the services read and write it; adapters go through invoke (tests may look: workbench['store']). */
    private readonly store: Store,
    private readonly options: WorkbenchOptions,
    /** Run ids found 'running' at open (a previous process died): now interrupted. */
    readonly recoveredRunIds: number[],
  ) {
    this.paths = dataPaths(options.dataDir);
    const saved = store.settings();
    const emit = this.emit.bind(this);
    const launcher = options.launcher ?? forkLauncher();
    const backendSettings = () => {
      const s = this.settings.settings();
      const webgpu: WebGpuOptions = {
        ...(s.webgpuAdapter ? { adapter: s.webgpuAdapter } : {}),
        ...(s.webgpuBackend ? { backend: s.webgpuBackend } : {}),
        ...(s.webgpuSpeedToggles ? { speedToggles: true } : {}),
        submitBatchSize: s.webgpuSubmitBatch,
      };
      return { defaultBackend: s.backend, webgpu };
    };
    const gpuPlanner = new GpuSlotPlanner();
    gpuPlanner.configure(options.gpuSlots ?? savedGpuSlots(store));
    this.scheduler = new RunScheduler({
      store,
      paths: this.paths,
      launcher,
      appVersion: options.appVersion,
      emit,
      concurrency: options.concurrency ?? (typeof saved.concurrency === 'number' ? saved.concurrency : 1),
      backendSettings,
      gpu: { planner: gpuPlanner, trainsOnGpu: (config) => trainsOnGpu(config.backend, this.settings.settings().backend, () => this.autoRunsOnGpu()) },
      cancelGraceMs: options.cancelGraceMs,
      stopGraceMs: options.stopGraceMs,
    });
    const context: ServiceContext = { store, paths: this.paths, emit, scheduler: this.scheduler, requestPath: (path, field) => this.requestPath(path, field) };
    this.runs = new RunService(context);
    this.settings = new SettingsService(context, options.appVersion);
    this.lrFinder = new LrFindService(context, { launcher, appVersion: options.appVersion, backendSettings });
    this.handlers = {
      ...this.runs.handlers(),
      ...new ExportService(context, this.runs).handlers(),
      ...new DatasetService(context).handlers(),
      ...configHandlers(),
      ...this.settings.handlers(),
      ...this.lrFinder.handlers(),
      'cluster:status': () => this.clusterStatus(),
    };
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
    if (o.startQueue !== false) workbench.startQueue();
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
        defaultBackend: () => this.settings.settings().backend,
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

  /** Handles one request: validates the argument, then runs it. Throws Error (WorkbenchError carries the contract's code). */
  async invoke<C extends ApiChannel>(channel: C, arg: ApiArg<C>): Promise<ApiResult<C>> {
    if (this.closed) throw new Error('The workbench is closed.');
    const handler = this.handlers[channel] as ((a: unknown) => Promise<ApiResult<C>> | ApiResult<C>) | undefined;
    if (!handler) throw invalidInput(`Unknown request '${String(channel)}'.`);
    return await handler(parseRequest(channel, arg));
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

  /**
   * A run this process trains itself, outside the queue (`kerv train`): created
   * 'running' and recorded through the returned RunRecording (see RunService.recordRun).
   */
  recordRun(config: RunConfig, origin: string, checkpointDir?: string): RunRecording {
    return this.runs.recordRun(config, origin, checkpointDir);
  }

  /** The recorded run whose checkpoints a folder holds, or null (see RunService.runOfCheckpointDir). */
  runOfCheckpointDir(dir: string): StoredRun | null {
    return this.runs.runOfCheckpointDir(dir);
  }

  /** Continues a recorded run in this process (`kerv train --resume`; see RunService.continueRun). */
  continueRun(id: number, checkpointDir: string, config: RunConfig, upToStep: number): { recording: RunRecording; resumeFrom: string | null } {
    return this.runs.continueRun(id, checkpointDir, config, upToStep);
  }

  /** Lets the queue run (after open with startQueue: false) and starts what fits. */
  startQueue(): void {
    this.scheduler.start();
  }

  private gpuProbe: Promise<void> | null = null;

  /**
   * Whether a run whose backend resolves to 'auto' trains on a GPU here (it then
   * takes a GPU slot). The first such run starts the probe (Dawn's adapters, a
   * moment): until it answers, 'auto' runs count as CPU runs.
   */
  private autoRunsOnGpu(): boolean {
    this.gpuProbe ??= (async () => {
      const { webgpuAdapter, webgpuBackend } = this.settings.settings();
      try {
        this.autoPicksGpu = await autoPicksGpu({ ...(webgpuAdapter ? { adapter: webgpuAdapter } : {}), ...(webgpuBackend ? { backend: webgpuBackend } : {}) });
      } catch {
        this.autoPicksGpu = false; // no Dawn here: 'auto' runs train on the CPU backends
      }
      if (this.autoPicksGpu && !this.closed) this.scheduler.pump();
    })();
    return this.autoPicksGpu;
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
    this.lrFinder.close();
    this.listeners.clear();
    this.store.close();
  }
}


