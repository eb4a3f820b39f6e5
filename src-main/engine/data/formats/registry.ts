// The dataset formats, by name, and the dataset → format lookup. A new format is one
// module implementing DatasetFormat plus its line here; a new dataset in an existing
// format is one row in shared/datasets.ts.
import { DATASET_SPECS, type DatasetFormatName, type DatasetName } from '../../../shared/datasets';
import { cifar10Format } from './cifar10';
import type { DatasetFormat, DatasetPreview } from './format';
import { idxFormat } from './idx';
import { imageFolderFormat } from './image-folder';

export const DATASET_FORMAT_MODULES: Readonly<Record<DatasetFormatName, DatasetFormat>> = {
  idx: idxFormat,
  cifar10: cifar10Format,
  'image-folder': imageFolderFormat,
};

/** The format a dataset is stored in. */
export function formatOf(name: DatasetName): DatasetFormat {
  return DATASET_FORMAT_MODULES[DATASET_SPECS[name].format];
}

/**
 * What the model preview needs (input shape, class names) without decoding images:
 * declared for the built-in datasets, read from dataset.path for image folders (the
 * same class folders training reads, so the preview and the run agree).
 */
export function previewDataset(config: { name: DatasetName; imageSize: number; path?: string }): Promise<DatasetPreview> {
  return formatOf(config.name).preview(config);
}
