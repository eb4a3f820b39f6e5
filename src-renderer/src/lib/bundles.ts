// Run bundles (.kervrun) from the UI. In the desktop app the service reads and
// writes the file where a native dialog says; in a browser tab the file travels
// over HTTP: `kerv serve` answers GET /api/bundle?ids=… with the bundle and takes
// an uploaded one with POST /api/bundle (same token cookie as the page).
import type { Envelope } from '../../../src-main/shared/api';
import { api, ApiError, desktop, unwrap } from './api';
import { saveBlob } from './download';

export const BUNDLE_ROUTE = '/api/bundle';
const FILTERS = [{ name: 'Kervolution run bundle', extensions: ['kervrun'] }];

export function bundleFileName(ids: readonly number[]): string {
  return ids.length === 1 ? `run-${ids[0]}.kervrun` : `runs-${ids.length}.kervrun`;
}

/** The server's error envelope, or the status line when the body is not one. */
export async function failure(response: Response): Promise<Error> {
  try {
    unwrap((await response.json()) as Envelope<unknown>);
  } catch (error) {
    if (error instanceof ApiError) return error;
  }
  return new ApiError(`The server answered ${response.status} ${response.statusText}`);
}

/** Saves the runs as one bundle; the file name or path, or null when the user cancelled. */
export async function exportBundle(ids: readonly number[]): Promise<string | null> {
  const name = bundleFileName(ids);
  if (desktop) {
    const { path } = await desktop.choosePath({ defaultName: name, filters: FILTERS });
    if (!path) return null;
    await api.invoke('runs:exportBundle', { ids: [...ids], path });
    return path;
  }
  const response = await fetch(`${BUNDLE_ROUTE}?ids=${ids.join(',')}`, { credentials: 'same-origin' });
  if (!response.ok) throw await failure(response);
  saveBlob(name, await response.blob());
  return name;
}

/** Desktop: asks for a file and imports it; null when cancelled. */
export async function importBundleWithDialog(): Promise<number[] | null> {
  if (!desktop) throw new Error('Only the desktop app has an open dialog; upload a file instead.');
  const { path } = await desktop.openPath({ title: 'Import run bundle', filters: FILTERS });
  if (!path) return null;
  return (await api.invoke('runs:importBundle', { path })).ids;
}

/** Browser: uploads a chosen file; the ids of the new runs. */
export async function uploadBundle(file: File): Promise<number[]> {
  // Its name travels too: the imported runs say which file they came from.
  const response = await fetch(`${BUNDLE_ROUTE}?name=${encodeURIComponent(file.name)}`, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/octet-stream' },
    body: file,
  });
  if (!response.ok) throw await failure(response);
  return unwrap((await response.json()) as Envelope<{ ids: number[] }>).ids;
}
