import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { confinePath, gunzipBounded, gunzipBoundedSync, PathError, readRegularFile } from '../../../src-main/engine/safe-files';
import { LimitError, setLimit } from '../../../src-main/shared/limits';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kerv-safe-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
  setLimit('MAX_CONFIG_FILE_BYTES', undefined);
  setLimit('MAX_DECOMPRESSED_BYTES', undefined);
});

describe('confinePath', () => {
  it('accepts paths inside the folder, relative or absolute, existing or not', () => {
    const root = join(dir, 'root');
    mkdirSync(root);
    expect(confinePath(root, 'a/b/c.bin', 'file')).toMatch(/root\/a\/b\/c\.bin$/);
    expect(confinePath(root, join(root, 'x'), 'file')).toMatch(/root\/x$/);
    expect(confinePath(root, 'a/../b', 'file')).toMatch(/root\/b$/);
  });

  it('refuses .. that leaves the folder and absolute paths elsewhere, naming the field', () => {
    const root = join(dir, 'root');
    mkdirSync(root);
    expect(() => confinePath(root, '../../../etc/passwd', 'checkpoint.folder')).toThrow(PathError);
    expect(() => confinePath(root, '../../../etc/passwd', 'checkpoint.folder')).toThrow(/^checkpoint\.folder: /);
    expect(() => confinePath(root, '/tmp/elsewhere', 'path')).toThrow(/outside/);
    expect(() => confinePath(root, 'a\0b', 'path')).toThrow(/NUL/);
  });

  it('follows symbolic links: a link inside the folder that points outside is refused', () => {
    const root = join(dir, 'root');
    const outside = join(dir, 'outside');
    mkdirSync(root);
    mkdirSync(outside);
    symlinkSync(outside, join(root, 'link'));
    expect(() => confinePath(root, 'link/file.bin', 'file')).toThrow(/symbolic link/);
  });
});

describe('readRegularFile', () => {
  it('reads a regular file within the limit', () => {
    writeFileSync(join(dir, 'c.json'), '{"a":1}');
    expect(readRegularFile(join(dir, 'c.json'), 'MAX_CONFIG_FILE_BYTES').toString()).toBe('{"a":1}');
  });

  it('refuses devices and folders, and files above the limit', () => {
    expect(() => readRegularFile('/dev/zero', 'MAX_CONFIG_FILE_BYTES', '--config')).toThrow(/not a regular file/);
    expect(() => readRegularFile(dir, 'MAX_CONFIG_FILE_BYTES', '--config')).toThrow(PathError);
    writeFileSync(join(dir, 'big.json'), Buffer.alloc(2000));
    setLimit('MAX_CONFIG_FILE_BYTES', 1000);
    expect(() => readRegularFile(join(dir, 'big.json'), 'MAX_CONFIG_FILE_BYTES', '--config')).toThrow(LimitError);
  });
});

describe('gunzipBounded', () => {
  it('inflates within the limit and stops at it', async () => {
    const bomb = gzipSync(Buffer.alloc(4 * 1024 * 1024));
    expect(gunzipBoundedSync(bomb, 'x').length).toBe(4 * 1024 * 1024);
    setLimit('MAX_DECOMPRESSED_BYTES', 1024 * 1024);
    expect(() => gunzipBoundedSync(bomb, 'bomb.gz')).toThrow(/bomb\.gz decompressed is more than 1 MiB; the limit is 1 MiB/);
    await expect(gunzipBounded(bomb, 'bomb.gz')).rejects.toThrow(LimitError);
  });
});
