// What the workers panel shows of a cluster worker's heartbeat: pure functions,
// unit-tested, so the component only lays them out.
import type { ClusterWorkerInfo } from '../../../src-main/shared/api';

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
