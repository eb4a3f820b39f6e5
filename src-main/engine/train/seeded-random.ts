// tfjs draws every unseeded random number (weight initialisers, dropout masks)
// from a seedrandom generator that it seeds with Math.random() on each call (see
// tfjs-core rand_util.ts). Swapping Math.random for one of our seeded Rngs while a
// model is built, and while each training step runs, makes weight initialisation
// and dropout a function of the run's seed, identical on every backend (those ops
// draw on the CPU), whichever initialisers the layers use, and checkpointable
// (the Rng state is four numbers). The swap only spans synchronous code, so no
// other task can observe it.
import type { Rng } from '../random';

export function withSeededMathRandom<T>(rng: Rng, fn: () => T): T {
  const original = Math.random;
  Math.random = () => rng.next();
  try {
    const result = fn();
    if (result instanceof Promise) throw new Error('withSeededMathRandom: fn must be synchronous');
    return result;
  } finally {
    Math.random = original;
  }
}

/** The Rng streams of a run: each consumer of randomness gets its own, so adding one never shifts another. */
export const RUN_RNG_LABELS = { init: 'train:weight-init', data: 'train:batches', ops: 'train:ops', templates: 'train:kerv-templates' } as const;
