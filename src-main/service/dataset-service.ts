// Datasets: which cached ones are present (datasets:list), downloading and
// importing them into the data folder's cache (datasets:download / :import, with
// dataset:progress events). The engine's dataset-format registry does the work;
// it is loaded on first use so list and show commands stay light.
import type { DatasetStatus } from '../shared/api';
import { CACHED_DATASETS, isDatasetName, type DatasetName } from '../shared/datasets';
import { invalidInput } from '../shared/errors';
import type { HandlerMap, ServiceContext } from './service-context';

type DatasetChannel = 'datasets:list' | 'datasets:download' | 'datasets:import';

/** A dataset the cache holds, by name; image folders are read in place (dataset.path), never cached. */
function cachedDatasetName(name: string): DatasetName {
  if (!isDatasetName(name) || !CACHED_DATASETS.includes(name)) {
    throw invalidInput(`Unknown dataset '${name}'; expected one of ${CACHED_DATASETS.join(', ')} (image folders are read in place via dataset.path).`, [
      { path: 'name', message: `must be one of ${CACHED_DATASETS.join(', ')}` },
    ]);
  }
  return name;
}

export class DatasetService {
  constructor(private readonly ctx: ServiceContext) {}

  private onProgress = (p: { name: string; receivedBytes: number; totalBytes: number | null; phase: string }) =>
    this.ctx.emit('dataset:progress', { name: p.name, receivedBytes: p.receivedBytes, totalBytes: p.totalBytes, phase: p.phase });

  private async list(): Promise<DatasetStatus[]> {
    const { datasetStatus } = await import('../engine/data/index');
    return Promise.all(CACHED_DATASETS.map((name) => datasetStatus(name, this.ctx.paths.datasetsDir)));
  }

  handlers(): HandlerMap<DatasetChannel> {
    const cacheDir = this.ctx.paths.datasetsDir;
    return {
      'datasets:list': () => this.list(),
      'datasets:download': async ({ name }) => {
        const { downloadDataset } = await import('../engine/data/index');
        return downloadDataset(cachedDatasetName(name), { cacheDir, onProgress: this.onProgress });
      },
      'datasets:import': async ({ name, path }) => {
        const { importDataset } = await import('../engine/data/index');
        return importDataset(cachedDatasetName(name), this.ctx.requestPath(path, 'path'), { cacheDir, onProgress: this.onProgress });
      },
    };
  }
}
