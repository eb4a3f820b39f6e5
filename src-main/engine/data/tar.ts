// A minimal reader for POSIX ustar archives (what `tar` writes, and what the CIFAR-10
// archive is): 512-byte header blocks, each followed by its file's data padded to
// 512 bytes, ended by zero blocks. GNU long names ('L') and pax headers ('x') are
// understood so archives made by modern tools work too. No new packages needed.
import { DatasetError } from './errors';

const BLOCK = 512;

export interface TarEntry {
  path: string;
  data: Uint8Array;
}

function text(bytes: Uint8Array, start: number, length: number): string {
  let end = start;
  while (end < start + length && bytes[end] !== 0) end++;
  return Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('utf8');
}

function octal(bytes: Uint8Array, start: number, length: number, archive: string): number {
  const field = text(bytes, start, length).trim();
  if (!/^[0-7]*$/.test(field)) throw new DatasetError(`corrupt tar header at byte ${start}: size field "${field}" is not octal`, archive);
  return field === '' ? 0 : parseInt(field, 8);
}

function paxPath(data: Uint8Array): string | null {
  // Records are "<length> <key>=<value>\n".
  const body = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8');
  const match = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(body);
  return match ? match[1] : null;
}

/** Regular files of the archive, in order. Their data are views on `bytes`, not copies. */
export function readTar(bytes: Uint8Array, archive: string): TarEntry[] {
  const entries: TarEntry[] = [];
  let offset = 0;
  let longName: string | null = null;
  while (offset + BLOCK <= bytes.length) {
    const header = bytes.subarray(offset, offset + BLOCK);
    if (header.every((b) => b === 0)) return entries;
    const magic = text(header, 257, 6);
    if (magic !== 'ustar' && magic !== 'ustar ') {
      throw new DatasetError(`not a tar archive: expected "ustar" at byte ${offset + 257}, found "${magic}"`, archive);
    }
    const size = octal(header, 124, 12, archive);
    const type = String.fromCharCode(header[156] || 0x30);
    const dataStart = offset + BLOCK;
    if (dataStart + size > bytes.length) {
      throw new DatasetError(`truncated tar archive: expected ${dataStart + size} bytes, found ${bytes.length}`, archive);
    }
    const data = bytes.subarray(dataStart, dataStart + size);
    const prefix = text(header, 345, 155);
    const name = text(header, 0, 100);
    if (type === 'L') {
      longName = text(data, 0, data.length);
    } else if (type === 'x') {
      longName = paxPath(data) ?? longName;
    } else {
      if (type === '0' || type === '\0' || type === '7') {
        entries.push({ path: longName ?? (prefix ? `${prefix}/${name}` : name), data });
      }
      longName = null;
    }
    offset = dataStart + Math.ceil(size / BLOCK) * BLOCK;
  }
  if (offset < bytes.length || entries.length === 0) {
    throw new DatasetError(`truncated tar archive: expected a whole number of 512-byte blocks ending in zero blocks, found ${bytes.length} bytes`, archive);
  }
  return entries;
}
