// Application-wide facts: backend and device, settings, dataset availability,
// and download progress pushed while a dataset downloads.
import type { ApiEvents, DatasetStatus, Settings, SystemInfo } from '../../../src-main/shared/api';
import { api } from '../lib/api';
import { settingsProblem } from '../lib/settings-problem';
import { toasts } from './toasts.svelte';

class SystemState {
  info = $state<SystemInfo | null>(null);
  settings = $state<Settings | null>(null);
  datasets = $state<DatasetStatus[]>([]);
  downloads = $state<Record<string, ApiEvents['dataset:progress']>>({});

  constructor() {
    api.on('dataset:progress', (event) => {
      this.downloads = { ...this.downloads, [event.name]: event };
    });
  }

  async load() {
    try {
      const [info, settings, datasets] = await Promise.all([
        api.invoke('system:info', undefined),
        api.invoke('settings:get', undefined),
        api.invoke('datasets:list', undefined),
      ]);
      this.info = info;
      this.settings = settings;
      this.datasets = datasets;
    } catch (error) {
      toasts.error(error);
    }
  }

  async save(patch: Partial<Settings>) {
    try {
      this.settings = await api.invoke('settings:set', patch);
      this.info = await api.invoke('system:info', undefined);
      toasts.show('Settings saved');
    } catch (error) {
      toasts.show(settingsProblem(error), 'error');
    }
  }

  async download(name: string) {
    try {
      const status = await api.invoke('datasets:download', { name });
      this.datasets = this.datasets.map((d) => (d.name === name ? status : d));
    } catch (error) {
      toasts.error(error);
    } finally {
      const { [name]: _done, ...rest } = this.downloads;
      this.downloads = rest;
    }
  }

  async importFrom(name: string, path: string) {
    try {
      const status = await api.invoke('datasets:import', { name, path });
      this.datasets = this.datasets.map((d) => (d.name === name ? status : d));
      toasts.show(`Imported ${name}`);
    } catch (error) {
      toasts.error(error);
    }
  }
}

export const system = new SystemState();
