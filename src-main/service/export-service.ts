// Exports: result tables (export:table, in every format of shared/table-format),
// long-format metric series (export:series), the columns a table can show, run
// bundles (.kervrun files that carry runs between data folders) and a run's
// trained model in the TensorFlow.js layers format (model-export.ts).
import { TABLE_FORMATS } from '../shared/table-format';
import { exportBundle, importBundle } from './bundle';
import { buildExportTable, exportColumns, type ExportRun } from './export-table';
import { formatSeriesCsv, formatSeriesJson } from './export-series';
import { runCheckpointDir } from './checkpoints';
import { exportModel } from './model-export';
import type { RunService } from './run-service';
import type { HandlerMap, ServiceContext } from './service-context';

type ExportChannel = 'export:table' | 'export:series' | 'export:columns' | 'runs:exportBundle' | 'runs:exportModel' | 'runs:importBundle';

export class ExportService {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly runs: RunService,
  ) {}

  private exportRun(id: number): ExportRun {
    return { ...this.runs.requireRun(id), lastEpoch: this.ctx.store.metrics.lastEpoch(id) };
  }

  private importBundle(path: string): { ids: number[] } {
    const { store, emit } = this.ctx;
    const ids = importBundle(store, this.ctx.paths, this.ctx.requestPath(path, 'path'));
    for (const id of ids) {
      const run = this.runs.requireRun(id);
      emit('run:status', { id, status: run.status, error: run.error });
    }
    return { ids };
  }

  handlers(): HandlerMap<ExportChannel> {
    const { store, paths } = this.ctx;
    return {
      'export:table': (request) => {
        const ids = this.runs.select(request.runIds, request.groupIds);
        const table = buildExportTable(ids.map((id) => this.exportRun(id)), request);
        const format = TABLE_FORMATS[request.format];
        return { text: format.format(table), mime: format.mime, extension: format.extension };
      },
      'export:series': ({ runIds, groupIds, format }) => {
        const ids = this.runs.select(runIds, groupIds);
        if (format === 'json') {
          const runs = ids.map((id) => {
            const run = this.runs.requireRun(id);
            return { id, name: run.name, config: run.config, metrics: store.metrics.metrics(id), scalars: store.metrics.scalars(id) };
          });
          return { text: formatSeriesJson(runs), mime: 'application/json', extension: 'json' };
        }
        const text = formatSeriesCsv(ids.map((id) => ({ id, name: this.runs.requireRun(id).name, metrics: store.metrics.metrics(id) })));
        return { text, mime: 'text/csv', extension: 'csv' };
      },
      'export:columns': () => exportColumns(),
      'runs:exportModel': ({ id, which, path }) => {
        const run = this.runs.requireRun(id);
        return exportModel(id, runCheckpointDir(store, paths, id), run.step, which ?? 'last', this.ctx.requestPath(path, 'path'));
      },
      'runs:exportBundle': ({ ids, path }) => {
        ids.forEach((id) => this.runs.requireRun(id));
        return exportBundle(store, ids, this.ctx.requestPath(path, 'path'), (id) => runCheckpointDir(store, paths, id));
      },
      'runs:importBundle': ({ path }) => this.importBundle(path),
    };
  }
}
