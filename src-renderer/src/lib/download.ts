// Saving files: a native save dialog in the desktop app, a browser download otherwise.
import { desktop } from './api';

export async function saveText(defaultName: string, text: string, mime: string): Promise<string | null> {
  if (desktop) {
    const extension = defaultName.split('.').pop() ?? 'txt';
    const { path } = await desktop.saveText({ defaultName, text, filters: [{ name: extension.toUpperCase(), extensions: [extension] }] });
    return path;
  }
  saveBlob(defaultName, new Blob([text], { type: mime }));
  return defaultName;
}

/** Downloads a blob (a file a server sent) under `fileName`. */
export function saveBlob(fileName: string, blob: Blob): void {
  const url = URL.createObjectURL(blob);
  try {
    saveUrl(fileName, url);
  } finally {
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }
}

/** Downloads a data: or blob: URL (chart images). */
export function saveUrl(fileName: string, url: string): void {
  const anchor = document.createElement('a');
  anchor.href = url;
  anchor.download = fileName;
  document.body.appendChild(anchor);
  anchor.click();
  anchor.remove();
}
