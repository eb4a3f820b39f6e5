// The learning-rate finder as a service: one finder at a time, each in its own
// worker process (the same process kind a run trains in, so a crash or an
// out-of-memory takes only the finder), its points pushed as they come and the
// whole result kept in the history (store/lr-find-store.ts) to look at again.
// It runs beside the queue, not in it: it takes seconds to a few minutes, and a
// researcher waits for it before starting the run it is for.
import type { HandlerMap, ServiceContext } from './service-context';
import type { LrFindPoint, LrFindResult } from '../shared/lr-find';
import { lrFindOptionsSchema } from '../shared/lr-find';
import { conflict, invalidInput, notFound } from '../shared/errors';
import { issueList, readableIssue } from '../shared/issue-text';
import { ConfigError, type BackendChoice, type WebGpuOptions } from '../shared/run-config';
import { parseServiceRunConfig } from './run-validation';
import { availableCores } from '../engine/backend/cores';
import type { WorkerHandle, WorkerLauncher } from './worker/launcher';
import { isProcessAlive } from './process-alive';

type Channels = 'lrFind:start' | 'lrFind:get' | 'lrFind:list' | 'lrFind:cancel';

export interface LrFindServiceOptions {
  launcher: WorkerLauncher;
  appVersion: string;
  backendSettings: () => { defaultBackend: BackendChoice; webgpu: WebGpuOptions };
}

interface ActiveFinder {
  id: number;
  handle: WorkerHandle;
  points: LrFindPoint[];
  cancelled: boolean;
  settled: boolean;
}

export class LrFindService {
  private active: ActiveFinder | null = null;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly o: LrFindServiceOptions,
  ) {
    // A finder whose process is gone (killed with its workbench) is over; one another live workbench runs is not ours.
    ctx.store.transaction(() => ctx.store.lrFinds.failOrphans('the workbench stopped while the finder ran', isProcessAlive), 'recover the learning-rate finder history in');
  }

  handlers(): HandlerMap<Channels> {
    return {
      'lrFind:start': ({ config, finder }) => this.start(config, finder),
      'lrFind:get': ({ id }) => {
        const record = this.ctx.store.read(() => this.ctx.store.lrFinds.get(id));
        if (!record) throw notFound(`Learning-rate finder run ${id} not found.`);
        // A running finder's points so far live here until it ends.
        return record.status === 'running' && this.active?.id === id ? { ...record, pointsSoFar: [...this.active.points] } : record;
      },
      'lrFind:list': () => this.ctx.store.read(() => this.ctx.store.lrFinds.list()),
      'lrFind:cancel': ({ id }) => {
        if (this.active?.id !== id) throw conflict(`Learning-rate finder run ${id} is not running.`);
        this.active.cancelled = true;
        this.active.handle.send({ type: 'cancel' });
      },
    };
  }

  private start(configInput: unknown, finderInput: unknown): { id: number } {
    if (this.active) throw conflict(`A learning-rate finder is already running (#${this.active.id}): wait for it, or cancel it.`);
    const config = parseServiceRunConfig(configInput);
    const parsed = lrFindOptionsSchema.safeParse(finderInput ?? {}, { error: readableIssue });
    if (!parsed.success) {
      const issues = issueList(parsed.error).map((i) => ({ path: `finder.${i.path}`, message: i.message }));
      throw new ConfigError(`Invalid finder options: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues);
    }
    if (config.dataset.name === 'image-folder' && !config.dataset.path) throw invalidInput('dataset.path: an image folder needs its path');
    const id = this.ctx.store.transaction(() => this.ctx.store.lrFinds.insert(config), 'record the learning-rate finder in');
    const handle = this.o.launcher.launch();
    const finder: ActiveFinder = { id, handle, points: [], cancelled: false, settled: false };
    this.active = finder;
    handle.onMessage((msg) => {
      if (msg.type === 'lr-point') {
        finder.points.push(msg.point);
        this.ctx.emit('lrFind:progress', { id, point: msg.point });
      } else if (msg.type === 'lr-result') {
        this.settle(finder, msg.result.stoppedBy === 'cancelled' ? 'cancelled' : 'completed', msg.result, null);
      } else if (msg.type === 'error') {
        this.settle(finder, 'failed', null, msg.message);
      }
    });
    handle.onExit((code, signal) => this.settle(finder, finder.cancelled ? 'cancelled' : 'failed', null, `the finder's process exited (${signal ?? `code ${code}`}) before it reported`));
    const { defaultBackend, webgpu } = this.o.backendSettings();
    handle.send({
      type: 'lr-find',
      config,
      finder: parsed.data,
      cacheDir: this.ctx.paths.datasetsDir,
      appVersion: this.o.appVersion,
      defaultBackend,
      webgpu,
      coreShare: availableCores(),
    });
    return { id };
  }

  private settle(finder: ActiveFinder, status: 'completed' | 'failed' | 'cancelled', result: LrFindResult | null, error: string | null): void {
    if (finder.settled) return;
    finder.settled = true;
    if (this.active === finder) this.active = null;
    try {
      this.ctx.store.transaction(() => this.ctx.store.lrFinds.finish(finder.id, status, result, error), 'record the learning-rate finder in');
    } finally {
      this.ctx.emit('lrFind:status', { id: finder.id, status, error });
    }
  }

  /** Stops a running finder (the workbench is closing): nothing of it needs keeping beyond its record. */
  close(): void {
    if (!this.active) return;
    const finder = this.active;
    finder.cancelled = true;
    finder.handle.kill();
    this.settle(finder, 'cancelled', null, 'the workbench closed while the finder ran');
  }
}
