// How many CPU threads a run computes on. Kept apart from the backends (no
// TensorFlow.js import), so the service can divide the cores without loading it.
import os from 'node:os';

/** The cores this process may use (affinity/cgroup aware where Node knows it). */
export function availableCores(): number {
  return Math.max(1, typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length);
}

/** A config's thread count: a number as given; 'auto' = the cores the run is given (default: all). */
export function resolveThreads(threads: number | 'auto', coreShare: number = availableCores()): number {
  return threads === 'auto' ? Math.max(1, Math.floor(coreShare)) : threads;
}

/**
 * The cores each run gets when up to `concurrency` runs train at once: an equal
 * share, at least one, so that simultaneous runs divide the machine instead of
 * oversubscribing it (N runs × all cores would make every step wait on the others).
 */
export function coreShare(cores: number, concurrency: number): number {
  return Math.max(1, Math.floor(cores / Math.max(1, concurrency)));
}
