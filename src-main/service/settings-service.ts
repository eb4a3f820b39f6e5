// The machine's settings (settings:get / :set: default backend, WebGPU adapter,
// concurrency, the cluster's Redis) and what this machine can train on
// (system:info, probed once by initialising the backends).
import type { GpuSlotsInfo, Settings, SystemInfo } from '../shared/api';
import { invalidInput } from '../shared/errors';
import { BACKENDS, MAX_GPU_SLOTS, WEBGPU_SUBMIT_BATCH, type BackendChoice } from '../shared/run-config';
import type { Store } from '../store/store';
import { maskRedisUrl } from './cluster/redis';
import type { HandlerMap, ServiceContext } from './service-context';

type SettingsChannel = 'settings:get' | 'settings:set' | 'system:info';

export const maskOptional = (url: string | null) => (url ? maskRedisUrl(url) : null);

/** The GPU slots saved in the settings: a number from 1 to MAX_GPU_SLOTS, or 'auto' (the default). */
export function savedGpuSlots(store: Store): number | 'auto' {
  const value = store.settings().gpuSlots;
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= MAX_GPU_SLOTS ? value : 'auto';
}

/** The Redis URL saved in the settings, if any. */
export function savedRedisUrl(store: Store): string | null {
  const value = store.settings().redisUrl;
  return typeof value === 'string' && value !== '' ? value : null;
}

async function probeSystem(): Promise<Omit<SystemInfo, 'appVersion' | 'dataDir' | 'concurrency' | 'gpu'>> {
  const { initBackend } = await import('../engine/backend/select-backend');
  const selection = await initBackend('auto');
  const backends = [...selection.tried];
  if (!backends.some((b) => b.name === 'cpu')) backends.push({ name: 'cpu', available: true, detail: 'pure JavaScript (slow reference)' });
  for (const name of ['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm']) {
    if (!backends.some((b) => b.name === name)) backends.push({ name, available: false, detail: 'not tried: a preferred backend was available' });
  }
  return { backends, selectedBackend: selection.backend, device: selection.device };
}

export class SettingsService {
  private probe: ReturnType<typeof probeSystem> | null = null;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly appVersion: string,
  ) {}

  settings(): Settings {
    const { store, paths, scheduler } = this.ctx;
    const saved = store.settings();
    return {
      dataDir: paths.root,
      backend: (BACKENDS as readonly unknown[]).includes(saved.backend) ? (saved.backend as BackendChoice) : 'auto',
      webgpuAdapter: typeof saved.webgpuAdapter === 'string' ? saved.webgpuAdapter : '',
      webgpuBackend: typeof saved.webgpuBackend === 'string' ? saved.webgpuBackend : '',
      webgpuSpeedToggles: saved.webgpuSpeedToggles === true,
      webgpuSubmitBatch: typeof saved.webgpuSubmitBatch === 'number' ? saved.webgpuSubmitBatch : WEBGPU_SUBMIT_BATCH.default,
      concurrency: scheduler.concurrency,
      gpuSlots: savedGpuSlots(store),
      redisUrl: maskOptional(savedRedisUrl(store)),
    };
  }

  private update(arg: Partial<Settings>): Settings {
    const { store, paths, scheduler } = this.ctx;
    if (arg.dataDir !== undefined && arg.dataDir !== paths.root) {
      throw invalidInput(`The data folder is chosen when the workbench starts (--data-dir or KERV_DATA_DIR); it is ${paths.root}.`, [
        { path: 'dataDir', message: `cannot change while the workbench runs (it is ${paths.root})` },
      ]);
    }
    store.setSettings({
      backend: arg.backend,
      concurrency: arg.concurrency,
      redisUrl: arg.redisUrl,
      webgpuAdapter: arg.webgpuAdapter,
      webgpuBackend: arg.webgpuBackend,
      webgpuSpeedToggles: arg.webgpuSpeedToggles,
      webgpuSubmitBatch: arg.webgpuSubmitBatch,
      gpuSlots: arg.gpuSlots,
    });
    if (arg.concurrency !== undefined) scheduler.concurrency = arg.concurrency;
    if (arg.gpuSlots !== undefined) scheduler.gpuPlanner?.configure(arg.gpuSlots);
    if (arg.concurrency !== undefined || arg.gpuSlots !== undefined) scheduler.pump();
    return this.settings();
  }

  /** The GPU slots as the scheduler plans them (without one: one GPU run at a time, as before). */
  private gpuInfo(): GpuSlotsInfo {
    return this.ctx.scheduler.gpuPlanner?.describe() ?? { slots: 1, mode: 'fixed', reason: 'no GPU slot planner in this process', memoryTotalMb: null, perRunMb: null, throughput: [], running: 0 };
  }

  handlers(): HandlerMap<SettingsChannel> {
    return {
      'settings:get': () => this.settings(),
      'settings:set': (arg) => this.update(arg),
      'system:info': async () => ({
        ...(await (this.probe ??= probeSystem())),
        appVersion: this.appVersion,
        dataDir: this.ctx.paths.root,
        concurrency: this.ctx.scheduler.concurrency,
        gpu: this.gpuInfo(),
      }),
    };
  }
}
