// The sample grid and the confusion-matrix cell view: the fixed sample images
// joined with one epoch's predictions.
import type { EpochMetrics, SampleImage, SamplePrediction } from '../../../src-main/shared/progress';

export interface SampleView {
  sampleIndex: number;
  pngBase64: string;
  label: number;
  prediction: SamplePrediction | null;
  predicted: number | null;
  confidence: number | null;
  loss: number | null;
  wrong: boolean;
}

export type SampleOrder = 'index' | 'confidence' | 'loss';

export function joinSamples(images: readonly SampleImage[], predictions: readonly SamplePrediction[] | undefined): SampleView[] {
  const byIndex = new Map((predictions ?? []).map((p) => [p.sampleIndex, p]));
  return images.map((image) => {
    const prediction = byIndex.get(image.sampleIndex) ?? null;
    const top = prediction?.top[0];
    return {
      sampleIndex: image.sampleIndex,
      pngBase64: image.pngBase64,
      label: image.label,
      prediction,
      predicted: top ? top.classIndex : null,
      confidence: top ? top.probability : null,
      loss: prediction ? prediction.loss : null,
      wrong: top !== undefined && top.classIndex !== image.label,
    };
  });
}

/** confidence: least confident first (where the model hesitates); loss: highest loss first (worst mistakes). */
export function sortSamples(samples: readonly SampleView[], order: SampleOrder): SampleView[] {
  const copy = [...samples];
  if (order === 'confidence') copy.sort((a, b) => (a.confidence ?? Infinity) - (b.confidence ?? Infinity));
  else if (order === 'loss') copy.sort((a, b) => (b.loss ?? -Infinity) - (a.loss ?? -Infinity));
  else copy.sort((a, b) => a.sampleIndex - b.sampleIndex);
  return copy;
}

/** Sample images whose true class is `trueClass` and predicted class is `predictedClass`. */
export function samplesInCell(samples: readonly SampleView[], trueClass: number, predictedClass: number): SampleView[] {
  return samples.filter((s) => s.label === trueClass && s.predicted === predictedClass);
}

/** The epoch record for a slider position (1-based epoch), or the latest. */
export function epochAt(epochs: readonly EpochMetrics[], epoch: number | null): EpochMetrics | null {
  if (epochs.length === 0) return null;
  if (epoch === null) return epochs[epochs.length - 1];
  return epochs.find((e) => e.epoch === epoch) ?? epochs[epochs.length - 1];
}

/**
 * Which split the per-epoch confusion matrix, per-class accuracy and sample
 * predictions come from: the validation split, or the test set when the run
 * holds none out (validationFraction 0).
 */
export function evaluationSplit(validationSize: number | null | undefined, validationFraction: number | undefined): 'validation' | 'test' {
  if (validationSize !== null && validationSize !== undefined) return validationSize > 0 ? 'validation' : 'test';
  return validationFraction === 0 ? 'test' : 'validation';
}

/**
 * What a confusion cell's dialog says about its images: only the fixed sample
 * images have pictures, so a cell of 93 may show 1 ("1 of the 93 validation
 * images in this cell; only the fixed samples have images").
 */
export function cellCaption(shown: number, inCell: number, samples: number, split: 'validation' | 'test'): string {
  if (shown === 0) return `None of the ${samples} sample images fall in this cell (the matrix counts the whole ${split} split: ${inCell} here).`;
  return `${shown} of the ${inCell} ${split} images in this cell; only the ${samples} fixed samples have images.`;
}
