// What the workers panel shows of a cluster worker's heartbeat: pure functions,
// unit-tested, so the component only lays them out.
import type { ClusterWorkerInfo, GpuSlotsInfo } from '../../../src-main/shared/api';

/** "now", "4 s ago", "3 min ago": how old the last heartbeat is. */
export function heartbeatAge(heartbeatAt: string, nowMs: number): string {
  const ageS = Math.max(0, Math.round((nowMs - Date.parse(heartbeatAt)) / 1000));
  if (!Number.isFinite(ageS)) return '—';
  if (ageS < 1) return 'now';
  if (ageS < 120) return `${ageS} s ago`;
  return `${Math.round(ageS / 60)} min ago`;
}

/** A heartbeat older than this many intervals (2 s each) means the worker is probably gone. */
export function isStale(heartbeatAt: string, nowMs: number, staleAfterMs = 6000): boolean {
  return nowMs - Date.parse(heartbeatAt) > staleAfterMs;
}

/** Load as a share of the machine's cores: 1-minute load average / cores. */
export function loadPercent(worker: Pick<ClusterWorkerInfo, 'load' | 'cores'>): string {
  if (worker.cores <= 0) return '—';
  return `${Math.round((worker.load / worker.cores) * 100)} %`;
}

export function memoryText(worker: Pick<ClusterWorkerInfo, 'memoryMb' | 'freeMemoryMb'>): string {
  const gb = (mb: number) => (mb / 1024).toFixed(1);
  return `${gb(worker.memoryMb - worker.freeMemoryMb)} / ${gb(worker.memoryMb)} GB`;
}

/** "2 / 3 slots: #4, #9". */
export function runsText(worker: Pick<ClusterWorkerInfo, 'runs' | 'concurrency'>): string {
  const list = worker.runs.length > 0 ? `: ${worker.runs.map((id) => `#${id}`).join(', ')}` : '';
  return `${worker.runs.length} / ${worker.concurrency}${list}`;
}

/** "2 of 3 GPU slots in use (auto)". */
export function gpuSlotsText(gpu: Pick<GpuSlotsInfo, 'slots' | 'running' | 'mode'>): string {
  return `${gpu.running} of ${gpu.slots} GPU slot${gpu.slots === 1 ? '' : 's'} in use (${gpu.mode})`;
}

/** "1.2 of 80.0 GB per run", or what is known of it. */
export function gpuMemoryText(gpu: Pick<GpuSlotsInfo, 'perRunMb' | 'memoryTotalMb'>): string {
  const gb = (mb: number) => (mb / 1024).toFixed(1);
  if (gpu.perRunMb === null) return gpu.memoryTotalMb === null ? 'not known yet' : `${gb(gpu.memoryTotalMb)} GB, no run measured yet`;
  return gpu.memoryTotalMb === null ? `up to ${gb(gpu.perRunMb)} GB per run` : `up to ${gb(gpu.perRunMb)} of ${gb(gpu.memoryTotalMb)} GB per run`;
}

/** Each measured count of runs at once with its summed images/s and the gain over one fewer. */
export function gpuThroughputRows(gpu: Pick<GpuSlotsInfo, 'throughput'>): { runs: number; imagesPerSecond: string; gain: string }[] {
  const byRuns = new Map(gpu.throughput.map((t) => [t.runs, t.imagesPerSecond]));
  return gpu.throughput.map(({ runs, imagesPerSecond }) => {
    const before = byRuns.get(runs - 1);
    return { runs, imagesPerSecond: imagesPerSecond.toFixed(0), gain: before ? `${Math.round((imagesPerSecond / before - 1) * 100)} %` : '—' };
  });
}
