// Which augmentation a config asks for. 'auto' is crop + flip for natural images
// (CIFAR-10, image folders) and nothing for MNIST and Fashion-MNIST, where a
// mirrored digit or a shifted garment is a different picture. The crop padding is
// the classic 4 pixels of a 32-pixel image, scaled to the image size.
import { DATASET_SPECS, type DatasetName } from '../../shared/datasets';
import { AUGMENTATIONS } from '../../shared/run-config';
import type { Augmentation } from './types';

export type AugmentMode = (typeof AUGMENTATIONS)[number];

export function cropPadding(inputShape: [number, number, number]): number {
  return Math.max(1, Math.round((4 * Math.min(inputShape[0], inputShape[1])) / 32));
}

export function resolveAugmentation(mode: AugmentMode, dataset: DatasetName, inputShape: [number, number, number]): Augmentation {
  const natural = DATASET_SPECS[dataset].naturalImages;
  const crop = mode === 'crop' || mode === 'crop-flip' || (mode === 'auto' && natural);
  const flip = mode === 'flip' || mode === 'crop-flip' || (mode === 'auto' && natural);
  return { crop, flip, padding: crop ? cropPadding(inputShape) : 0 };
}

export const NO_AUGMENTATION: Augmentation = { crop: false, flip: false, padding: 0 };
