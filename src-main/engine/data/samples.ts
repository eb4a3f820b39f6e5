// The fixed sample set a run shows with its predictions every epoch: the head of
// the validation split (the dataset's sample pool, the same for every seed), or of
// the test set when there is no validation split (drawn with a constant seed).
import type { SampleImage } from '../../shared/progress';
import { encodeImagePng } from './png';
import type { PreparedData } from './prepare';

export function sampleImages(prepared: PreparedData, count: number): SampleImage[] {
  const data = prepared.sampleSplit;
  return prepared.sampleIndices(count).map((position, sampleIndex) => {
    const item = data.indices[position];
    return {
      sampleIndex,
      datasetIndex: item,
      label: data.source.labels[item],
      pngBase64: encodeImagePng(data.source, prepared.inputShape, item),
    };
  });
}
