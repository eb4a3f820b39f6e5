// How many runs train on the GPU at once. A training step through tfjs-webgpu
// leaves the GPU idle much of the time (one dispatch at a time from JavaScript:
// issue 20), so a sweep finishes sooner when several of its runs share the GPU.
// 'auto' finds how many, from what the runs report:
//   - memory: each GPU run reports the GPU memory it holds (system/gpu_mb); the
//     slots never exceed 90 % of the GPU's memory (nvidia-smi's total, where there is
//     one) over the largest run seen, and a run that fails with "GPU out of memory"
//     caps them below the count that was training then;
//   - throughput: with k runs at once, the summed images/s of their steps. The
//     planner starts at 1 slot and adds one while the last one added at least 10 %
//     to the sum; when one does not, it settles on the count with the best sum.
// A fixed number in the settings overrides the search (the measurements still show).
import { execFileSync } from 'node:child_process';
import type { GpuSlotsInfo } from '../shared/api';
import { MAX_GPU_SLOTS, type BackendChoice, type WebGpuOptions } from '../shared/run-config';
/** Another run must add this much to the summed throughput to earn its slot. */
export const SLOT_GAIN = 0.1;
/** Reports per run, after the count changed, before a sum counts as measured. */
const REPORTS_TO_MEASURE = 2;
const MEMORY_SHARE = 0.9;

export type GpuSlotsSetting = number | 'auto';

interface RunState {
  /** Throughput reports since the active count last changed. */
  reports: number;
  imagesPerSecond: number | null;
}

export class GpuSlotPlanner {
  private setting: GpuSlotsSetting = 'auto';
  private limit = 1;
  private settled = false;
  private readonly runs = new Map<number, RunState>();
  /** Summed images/s measured with k runs at once. */
  private readonly throughput = new Map<number, number>();
  private perRunMb: number | null = null;
  private outOfMemoryCap: number | null = null;
  private why = 'one run at a time until a run has reported its throughput';
  private memory: { totalMb: number | null } | null = null;

  /** `memoryTotalMb` is asked once, when first needed (nvidia-smi takes a moment). */
  constructor(private readonly memoryTotalMbOf: () => number | null = gpuMemoryTotalMb) {}

  private get memoryTotalMb(): number | null {
    this.memory ??= { totalMb: this.memoryTotalMbOf() };
    return this.memory.totalMb;
  }

  configure(setting: GpuSlotsSetting): void {
    this.setting = setting;
  }

  /** Runs that may train on the GPU at once now. */
  slots(): number {
    if (this.setting !== 'auto') return this.setting;
    return Math.max(1, Math.min(this.limit, this.memoryCap()));
  }

  runStarted(id: number): void {
    this.runs.set(id, { reports: 0, imagesPerSecond: null });
    this.countChanged();
  }

  /** A GPU run ended; `outOfMemory` when it failed for lack of GPU memory. */
  runEnded(id: number, outOfMemory: boolean): void {
    if (outOfMemory) {
      this.outOfMemoryCap = Math.max(1, this.runs.size - 1);
      this.settled = true;
      this.why = `a run ran out of GPU memory with ${this.runs.size} at once`;
    }
    this.runs.delete(id);
    this.countChanged();
  }

  /** What a GPU run reported in one progress batch. */
  observe(id: number, report: { imagesPerSecond?: number; gpuMb?: number }): void {
    const run = this.runs.get(id);
    if (!run) return;
    if (report.gpuMb !== undefined) this.perRunMb = Math.max(this.perRunMb ?? 0, report.gpuMb);
    if (report.imagesPerSecond === undefined || !(report.imagesPerSecond > 0)) return;
    run.imagesPerSecond = report.imagesPerSecond;
    run.reports += 1;
    this.measure();
  }

  private countChanged(): void {
    for (const run of this.runs.values()) run.reports = 0;
  }

  private memoryCap(): number {
    let cap = MAX_GPU_SLOTS;
    if (this.memoryTotalMb && this.perRunMb) cap = Math.min(cap, Math.floor((MEMORY_SHARE * this.memoryTotalMb) / this.perRunMb));
    if (this.outOfMemoryCap !== null) cap = Math.min(cap, this.outOfMemoryCap);
    return Math.max(1, cap);
  }

  /** Records the sum once every run has reported enough since the count changed, then decides on the next slot. */
  private measure(): void {
    const k = this.runs.size;
    const states = [...this.runs.values()];
    if (k === 0 || states.some((r) => r.reports < REPORTS_TO_MEASURE)) return;
    this.throughput.set(k, states.reduce((sum, r) => sum + (r.imagesPerSecond ?? 0), 0));
    if (this.settled || k !== this.limit) return;
    const now = this.throughput.get(k) as number;
    const before = this.throughput.get(k - 1);
    if (before === undefined || now >= (1 + SLOT_GAIN) * before) {
      if (k + 1 <= this.memoryCap()) {
        this.limit = k + 1;
        this.why = before === undefined ? `trying ${k + 1} runs at once` : `${k} runs gave ${percent(now / before - 1)} more images/s than ${k - 1}: trying ${k + 1}`;
      } else {
        this.settled = true;
        this.why = `GPU memory: ${k} runs of up to ${Math.round(this.perRunMb ?? 0)} MB fill ${percent(MEMORY_SHARE)} of ${Math.round(this.memoryTotalMb ?? 0)} MB`;
      }
      return;
    }
    // The last run added did not pay: the count with the best sum (the fewer runs, on a tie within the gain).
    const best = [...this.throughput.entries()].sort((a, b) => a[0] - b[0]).reduce((a, b) => (b[1] >= (1 + SLOT_GAIN) * a[1] ? b : a));
    this.limit = best[0];
    this.settled = true;
    this.why = `${k} runs gave ${percent(now / before - 1)} more images/s than ${k - 1} (under ${percent(SLOT_GAIN)}): ${best[0]} at once`;
  }

  describe(): GpuSlotsInfo {
    return {
      slots: this.slots(),
      mode: this.setting === 'auto' ? 'auto' : 'fixed',
      reason: this.setting === 'auto' ? this.why : `fixed in the settings (auto would say: ${this.why})`,
      memoryTotalMb: this.memoryTotalMb,
      perRunMb: this.perRunMb,
      throughput: [...this.throughput.entries()].sort((a, b) => a[0] - b[0]).map(([runs, imagesPerSecond]) => ({ runs, imagesPerSecond })),
      running: this.runs.size,
    };
  }
}

const percent = (fraction: number) => `${Math.round(fraction * 100)} %`;

/** The GPU's memory in MiB from nvidia-smi (the first GPU); null where there is none. */
export function gpuMemoryTotalMb(): number | null {
  try {
    const out = execFileSync('nvidia-smi', ['--query-gpu=memory.total', '--format=csv,noheader,nounits'], { timeout: 5000 }).toString().trim();
    const mb = Number(out.split('\n')[0]);
    return Number.isFinite(mb) && mb > 0 ? mb : null;
  } catch {
    return null;
  }
}

/**
 * Whether a run trains on the GPU: its backend, or for 'auto' the one its worker
 * will take (KERV_BACKEND, the settings' default, then the best the machine has).
 */
export function trainsOnGpu(configBackend: BackendChoice, defaultBackend: BackendChoice, autoPicksGpu: () => boolean, env: NodeJS.ProcessEnv = process.env): boolean {
  let backend = configBackend;
  if (backend === 'auto') backend = (env.KERV_BACKEND as BackendChoice | undefined) || defaultBackend;
  if (backend === 'auto') return autoPicksGpu();
  return backend === 'webgpu' || backend === 'tensorflow-gpu';
}

/** Whether 'auto' takes a GPU here: a hardware WebGPU adapter (a software one is skipped, see engine/backend/select-backend.ts). */
export async function autoPicksGpu(webgpu: WebGpuOptions): Promise<boolean> {
  const { probeWebGpu, webGpuOptionsFrom } = await import('../engine/backend/webgpu');
  const probe = await probeWebGpu(webGpuOptionsFrom(webgpu));
  return 'adapter' in probe && !probe.adapter.software;
}
