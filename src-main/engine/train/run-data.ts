// What the training loop needs from engine/data, for one run: the splits of the
// configured dataset, its batches, and the fixed sample set (images + a batch).
import type { DatasetInfo, SampleImage } from '../../shared/progress';
import type { RunConfig } from '../../shared/run-config';
import { batchCount, evalBatches, gatherBatch, trainEpoch, type TrainEpoch } from '../data/batches';
import { loadDataset } from '../data/load';
import { prepareData, type PreparedData } from '../data/prepare';
import { sampleImages } from '../data/samples';
import type { Batch } from '../data/types';
import type { Rng } from '../random';

export interface RunData {
  prepared: PreparedData;
  info: DatasetInfo;
  numClasses: number;
  stepsPerEpoch: number;
  /** One shuffled pass over the training split; draws from `rng` once, when called. */
  trainEpoch(rng: Rng): TrainEpoch;
  evalBatches(split: 'validation' | 'test'): Iterable<Batch>;
  sampleImages: SampleImage[];
  /** The sample images as one normalised batch, in sample order. */
  sampleBatch: Batch;
}

/**
 * Evaluation needs no gradients or optimiser state, so it can use larger batches
 * than training; 256 keeps the peak memory of a ResNet-18 on 32×32 images modest.
 */
export const EVAL_BATCH_SIZE = 256;

export async function loadRunData(config: RunConfig, cacheDir: string): Promise<RunData> {
  const dataset = await loadDataset(config.dataset, { cacheDir });
  const prepared = prepareData(dataset, config.dataset, config.seed);
  if (prepared.train.count === 0) throw new Error('dataset: the training split is empty');
  const samplePositions = prepared.sampleIndices(config.sampleCount);
  return {
    prepared,
    info: prepared.info(),
    numClasses: prepared.classNames.length,
    stepsPerEpoch: batchCount(prepared.train.count, config.batchSize),
    trainEpoch: (rng) => trainEpoch(prepared, { batchSize: config.batchSize, rng }),
    evalBatches: (split) => evalBatches(prepared, split === 'validation' ? prepared.validation : prepared.test, EVAL_BATCH_SIZE),
    sampleImages: sampleImages(prepared, config.sampleCount),
    sampleBatch: gatherBatch(prepared, prepared.sampleSplit, samplePositions),
  };
}
