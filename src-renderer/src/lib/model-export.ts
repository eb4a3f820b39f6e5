// A run's trained model out of the UI, in the TensorFlow.js layers format
// (service/model-export.ts): in the desktop app the service writes the .json and
// its .weights.bin where a native dialog says; in a browser tab `kerv serve`
// sends the two files as downloads (GET /api/model, as tfjs's `downloads://`).
import { api, desktop } from './api';
import { failure } from './bundles';
import { saveBlob } from './download';

export const MODEL_ROUTE = '/api/model';

/** Saves the model; the .json's name or path, or null when the user cancelled the dialog. */
export async function exportModel(id: number, which: 'last' | 'best'): Promise<string | null> {
  const base = `run-${id}-${which}`;
  if (desktop) {
    const { path } = await desktop.choosePath({ defaultName: `${base}.json`, filters: [{ name: 'TensorFlow.js model', extensions: ['json'] }] });
    if (!path) return null;
    return (await api.invoke('runs:exportModel', { id, which, path })).modelFile;
  }
  for (const [file, name] of [['model', `${base}.json`], ['weights', `${base}.weights.bin`]] as const) {
    const response = await fetch(`${MODEL_ROUTE}?id=${id}&which=${which}&file=${file}`, { credentials: 'same-origin' });
    if (!response.ok) throw await failure(response);
    saveBlob(name, await response.blob());
  }
  return `${base}.json`;
}
