// Reads a data file whole, gunzipping it when it starts with the gzip magic bytes,
// so every reader accepts both the published .gz files and extracted copies; and
// the two file-system questions the locators ask.
import { readFile, stat } from 'node:fs/promises';
import { promisify } from 'node:util';
import { gunzip as gunzipCallback } from 'node:zlib';
import { DatasetError } from './errors';

const gunzipAsync = promisify(gunzipCallback);

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Gunzips off the main thread (zlib's thread pool); names the file when the stream is damaged. */
export async function gunzipNamed(bytes: Uint8Array, file: string): Promise<Buffer> {
  try {
    return await gunzipAsync(bytes);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new DatasetError(`cannot decompress gzip data (${reason}); the file is truncated or corrupt`, file);
  }
}

export async function readDataFile(file: string): Promise<Buffer> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new DatasetError(code === 'ENOENT' ? 'file not found' : `cannot read file (${code ?? String(error)})`, file);
  }
  return isGzip(bytes) ? gunzipNamed(bytes, file) : bytes;
}

export async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** Size of a regular file; null when there is none at `path`. */
export async function fileSize(path: string): Promise<number | null> {
  try {
    const info = await stat(path);
    return info.isFile() ? info.size : null;
  } catch {
    return null;
  }
}
