// Side-by-side comparison of runs: which config fields differ, their metric
// series (aligned by step; the UI can re-map by epoch or wall time), and for two
// runs the sample images one got right and the other wrong.
import { notFound } from '../shared/errors';
import type { Comparison, FlippedSample } from '../shared/api';
import { diffConfigs } from '../shared/config-paths';
import { commonSampleCount, type SampleImage } from '../shared/progress';
import { toRunRow, type Store } from '../store/store';

/** Right in A and wrong in B (and the reverse) at one epoch, given each run's predictions. */
export function flippedSamples(
  samples: SampleImage[],
  predictionsA: Map<number, number>,
  predictionsB: Map<number, number>,
): { rightInAOnly: FlippedSample[]; rightInBOnly: FlippedSample[] } {
  const rightInAOnly: FlippedSample[] = [];
  const rightInBOnly: FlippedSample[] = [];
  for (const image of samples) {
    const a = predictionsA.get(image.sampleIndex);
    const b = predictionsB.get(image.sampleIndex);
    if (a === undefined || b === undefined) continue;
    const flipped = { sampleIndex: image.sampleIndex, image, predictionA: a, predictionB: b };
    if (a === image.label && b !== image.label) rightInAOnly.push(flipped);
    else if (b === image.label && a !== image.label) rightInBOnly.push(flipped);
  }
  return { rightInAOnly, rightInBOnly };
}

/**
 * Compares the runs that exist among `ids` (in that order) and lists the others
 * as missing. The config diff shows each run's current name (a rename is not in
 * the stored config; an auto-named run has none there).
 */
export function compareRuns(store: Store, requested: number[]): Comparison {
  const unique = [...new Set(requested)];
  const runs = unique.map((id) => store.runs.get(id)).filter((r) => r !== null);
  const missing = unique.filter((id) => !runs.some((r) => r.id === id));
  if (runs.length === 0) throw notFound(`None of the runs to compare exist (${missing.map((id) => `#${id}`).join(', ')}).`);
  const ids = runs.map((r) => r.id);
  const metrics = Object.fromEntries(ids.map((id) => [id, store.metrics.metrics(id)]));
  let flipped: Comparison['flipped'] = null;
  if (ids.length === 2) {
    const [a, b] = ids;
    const samplesA = store.metrics.samples(a);
    const samplesB = store.metrics.samples(b);
    const epochsB = new Set(store.metrics.epochNumbersWithPredictions(b));
    const common = store.metrics.epochNumbersWithPredictions(a).filter((e) => epochsB.has(e));
    // Flips mean something only on images both runs saw: the samples they share.
    const shared = samplesA.slice(0, commonSampleCount(samplesA, samplesB));
    if (common.length > 0 && shared.length > 0) {
      const epoch = common[common.length - 1];
      flipped = flippedSamples(shared, store.metrics.predictionsAt(a, epoch), store.metrics.predictionsAt(b, epoch));
    } else {
      flipped = { rightInAOnly: [], rightInBOnly: [] };
    }
  }
  return {
    // With their configs: the screen labels groups of seeds by the fields that tell them apart.
    runs: runs.map((r) => ({ ...toRunRow(r), config: r.config })),
    missing,
    configDiff: diffConfigs(runs.map((r) => ({ ...r.config, name: r.name }))),
    metrics,
    flipped,
  };
}
