// What a training process costs the machine, sampled every few seconds as
// 'scalars' progress (system/cpu_percent, system/rss_mb): the numbers a
// researcher checks when a run is slower than expected or the machine swaps.
import type { ScalarSample } from '../../shared/progress';

export interface CpuReading {
  /** process.cpuUsage(): user + system CPU time in microseconds. */
  user: number;
  system: number;
  /** When it was read, in ms (performance.now()). */
  atMs: number;
}

/** CPU use between two readings as a percentage of one core (200 = two cores busy). */
export function cpuPercent(previous: CpuReading, current: CpuReading): number {
  const elapsedMs = current.atMs - previous.atMs;
  if (elapsedMs <= 0) return 0;
  const cpuMs = (current.user - previous.user + current.system - previous.system) / 1000;
  return Math.max(0, (100 * cpuMs) / elapsedMs);
}

export interface SystemSamplerOptions {
  intervalMs: number;
  /** The step and wall time the run has reached (from its last reported step), or null before the first step. */
  position: () => { step: number; wallTimeMs: number } | null;
  emit: (sample: ScalarSample) => void;
}

/** Starts sampling; returns the function that stops it. Samples only once the run has taken a step. */
export function startSystemSampler(o: SystemSamplerOptions): () => void {
  const read = (): CpuReading => {
    const usage = process.cpuUsage();
    return { user: usage.user, system: usage.system, atMs: performance.now() };
  };
  let previous = read();
  const timer = setInterval(() => {
    const current = read();
    const position = o.position();
    if (position) {
      o.emit({
        step: position.step,
        wallTimeMs: position.wallTimeMs,
        values: { 'system/cpu_percent': cpuPercent(previous, current), 'system/rss_mb': process.memoryUsage.rss() / (1024 * 1024) },
      });
    }
    previous = current;
  }, o.intervalMs);
  // A sampler must never keep a finished worker alive.
  timer.unref();
  return () => clearInterval(timer);
}
