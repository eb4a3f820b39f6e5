// Reads a data file whole, gunzipping it when it starts with the gzip magic bytes,
// so every reader accepts both the published .gz files and extracted copies; and
// the two file-system questions the locators ask. Files come from people (an image
// folder someone sent, a downloaded archive): only regular files are read, never
// more than MAX_FILE_READ_BYTES, and inflation stops at MAX_DECOMPRESSED_BYTES
// (shared/limits.ts) while it runs, so a gzip bomb never fills memory.
import { open, stat } from 'node:fs/promises';
import { constants as fsConstants } from 'node:fs';
import { LimitError, checkLimit, limitValue } from '../../shared/limits';
import { gunzipBounded } from '../safe-files';
import { DatasetError } from './errors';

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Gunzips off the main thread, bounded by MAX_DECOMPRESSED_BYTES; names the file when the stream is damaged or too big. */
export async function gunzipNamed(bytes: Uint8Array, file: string): Promise<Buffer> {
  try {
    return await gunzipBounded(bytes, `${file} (gzip)`);
  } catch (error) {
    if (error instanceof LimitError) throw new DatasetError(error.message, file);
    const reason = error instanceof Error ? error.message : String(error);
    throw new DatasetError(`cannot decompress gzip data (${reason}); the file is truncated or corrupt`, file);
  }
}

/**
 * Reads a whole regular file (not a device such as /dev/zero, a FIFO or a folder),
 * refusing one above MAX_FILE_READ_BYTES: checked on the open descriptor, and again
 * while reading, so a file that grows cannot get past it.
 */
export async function readRegularFile(file: string): Promise<Buffer> {
  let handle;
  try {
    handle = await open(file, fsConstants.O_RDONLY | (fsConstants.O_NONBLOCK ?? 0));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new DatasetError(code === 'ENOENT' ? 'file not found' : `cannot read file (${code ?? String(error)})`, file);
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new DatasetError('not a regular file (a device, pipe or folder): only regular files are read', file);
    try {
      checkLimit('MAX_FILE_READ_BYTES', info.size, file);
    } catch (error) {
      throw new DatasetError((error as Error).message, file);
    }
    const max = limitValue('MAX_FILE_READ_BYTES');
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const room = Math.min(info.size > 0 ? info.size - total + 1 : 1 << 20, max + 1 - total, 64 << 20);
      const chunk = Buffer.allocUnsafe(Math.max(room, 1));
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > max) throw new DatasetError(new LimitError('MAX_FILE_READ_BYTES', Infinity, file).message, file);
      chunks.push(bytesRead === chunk.length ? chunk : chunk.subarray(0, bytesRead));
    }
    return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, total);
  } finally {
    await handle.close();
  }
}

export async function readDataFile(file: string): Promise<Buffer> {
  const bytes = await readRegularFile(file);
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
