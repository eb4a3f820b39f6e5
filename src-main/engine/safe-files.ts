// The file-system side of hostile input, in one place for every layer that reads
// or writes paths it was given (bundles, export targets, dataset folders, config
// files):
// - confinePath: a path from outside must stay inside the folder it belongs to,
//   with `..` and symlinks resolved, checked before anything is written;
// - readRegularFile: only regular files are read (not /dev/zero, a FIFO, a
//   folder), and never more than a limit;
// - gunzipBounded: inflation stops at MAX_DECOMPRESSED_BYTES instead of after a
//   bomb has filled memory.
// Limits come from shared/limits.ts; each error names the file or field.
import { closeSync, fstatSync, openSync, readSync, realpathSync, constants as fsConstants } from 'node:fs';
import { dirname, isAbsolute, relative, resolve, sep, basename, join } from 'node:path';
import { promisify } from 'node:util';
import { gunzip, gunzipSync } from 'node:zlib';
import { WorkbenchError } from '../shared/errors';
import { checkLimit, LimitError, limitValue, type LimitName } from '../shared/limits';

/** A path from outside that leaves its folder, or names something that is not a regular file. */
export class PathError extends WorkbenchError {
  readonly field: string;
  /** not_found when nothing is at the path; invalid_input when the path is not allowed or is not a regular file. */
  constructor(field: string, message: string, code: 'invalid_input' | 'not_found' = 'invalid_input') {
    super(code, `${field}: ${message}`);
    this.name = 'PathError';
    this.field = field;
  }
}

/** realpath of the deepest part of `path` that exists, with the rest appended (the rest cannot be a link yet). */
function realpathOfExistingPrefix(path: string): string {
  const missing: string[] = [];
  let current = path;
  for (;;) {
    try {
      return join(realpathSync.native(current), ...missing.reverse());
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw error;
      const parent = dirname(current);
      if (parent === current) return join(current, ...missing.reverse());
      missing.push(basename(current));
      current = parent;
    }
  }
}

export function isInside(root: string, candidate: string): boolean {
  const rel = relative(root, candidate);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

/**
 * Resolves `candidate` (relative paths against `root`) and returns it as an
 * absolute path when it stays inside `root` after `..` segments and symbolic
 * links (of the root and of every existing part of the path) are resolved;
 * throws PathError naming `field` otherwise. Call it right before writing.
 */
export function confinePath(root: string, candidate: string, field: string): string {
  if (typeof candidate !== 'string' || candidate.length === 0) throw new PathError(field, 'must be a non-empty path.');
  if (candidate.includes('\0')) throw new PathError(field, 'must not contain a NUL character.');
  checkLimit('MAX_PATH_LENGTH', candidate.length, `${field} (a path)`);
  const realRoot = realpathOfExistingPrefix(resolve(root));
  const lexical = resolve(root, candidate);
  if (!isInside(resolve(root), lexical) && !isInside(realRoot, lexical)) {
    throw new PathError(field, `'${candidate}' is outside ${root}; only paths inside that folder are allowed.`);
  }
  const real = realpathOfExistingPrefix(lexical);
  if (!isInside(realRoot, real)) {
    throw new PathError(field, `'${candidate}' leads outside ${root} (through a symbolic link); only paths inside that folder are allowed.`);
  }
  return real;
}

/**
 * Reads a whole regular file, refusing anything else (devices such as /dev/zero,
 * FIFOs, folders) and files above `limit` — checked on the open descriptor, and
 * again while reading, so a file that grows cannot get past it.
 */
export function readRegularFile(path: string, limit: LimitName, field = path): Buffer {
  let fd: number;
  try {
    fd = openSync(path, fsConstants.O_RDONLY | (fsConstants.O_NONBLOCK ?? 0));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new PathError(field, `no file at ${path}.`, 'not_found');
    throw new PathError(field, code === 'EISDIR' ? `${path} is a folder, not a file.` : `cannot open ${path} (${code ?? String(error)}).`);
  }
  try {
    const info = fstatSync(fd);
    if (!info.isFile()) throw new PathError(field, `${path} is not a regular file (a device, pipe or folder); only regular files are read.`);
    checkLimit(limit, info.size, `${field} (${path})`);
    const max = limitValue(limit);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(1024 * 1024, max + 1 - total));
      if (chunk.length === 0) throw new LimitError(limit, Infinity, `${field} (${path})`);
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      total += n;
      chunks.push(n === chunk.length ? chunk : chunk.subarray(0, n));
    }
    return Buffer.concat(chunks, total);
  } finally {
    closeSync(fd);
  }
}

function isTooLarge(error: unknown): boolean {
  return (error as NodeJS.ErrnoException)?.code === 'ERR_BUFFER_TOO_LARGE' || (error instanceof RangeError && /larger than/.test(error.message));
}

/** Gunzips in memory, stopping at MAX_DECOMPRESSED_BYTES (zlib stops inflating there: a bomb never fills memory). */
export function gunzipBoundedSync(bytes: Uint8Array, subject: string): Buffer {
  const max = limitValue('MAX_DECOMPRESSED_BYTES');
  try {
    return gunzipSync(bytes, { maxOutputLength: max });
  } catch (error) {
    if (isTooLarge(error)) throw new LimitError('MAX_DECOMPRESSED_BYTES', Infinity, `${subject} decompressed`);
    throw error;
  }
}

const gunzipAsync = promisify(gunzip);

/** gunzipBoundedSync off the main thread (zlib's thread pool). */
export async function gunzipBounded(bytes: Uint8Array, subject: string): Promise<Buffer> {
  const max = limitValue('MAX_DECOMPRESSED_BYTES');
  try {
    return await gunzipAsync(bytes, { maxOutputLength: max });
  } catch (error) {
    if (isTooLarge(error)) throw new LimitError('MAX_DECOMPRESSED_BYTES', Infinity, `${subject} decompressed`);
    throw error;
  }
}
