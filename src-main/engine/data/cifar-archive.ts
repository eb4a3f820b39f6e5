// The batch files inside cifar-10-binary.tar.gz (or any tar / tar.gz holding them).
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { CIFAR10_FOLDER, CIFAR10_TEST_FILE, CIFAR10_TRAIN_FILES } from './catalog';
import { DatasetError } from './errors';
import { gunzipNamed, isGzip } from './file-bytes';
import { readTar } from './tar';

export interface NamedBytes {
  /** For messages: "<archive>:<path inside>" or a file path. */
  name: string;
  /** The batch file's own name (data_batch_1.bin, ...). */
  file: string;
  bytes: Uint8Array;
}

export async function readCifarArchive(archive: string): Promise<{ train: NamedBytes[]; test: NamedBytes }> {
  let raw: Buffer;
  try {
    raw = await readFile(archive);
  } catch (error) {
    throw new DatasetError(`cannot read archive (${(error as NodeJS.ErrnoException).code ?? String(error)})`, archive);
  }
  const tar = isGzip(raw) ? await gunzipNamed(raw, archive) : raw;
  const entries = new Map(readTar(tar, archive).map((e) => [basename(e.path), e]));
  const pick = (file: string): NamedBytes => {
    const entry = entries.get(file);
    if (!entry) throw new DatasetError(`expected ${file} in the archive, found ${[...entries.keys()].join(', ') || 'no files'}`, archive);
    return { name: `${archive}:${entry.path}`, file, bytes: entry.data };
  };
  return { train: CIFAR10_TRAIN_FILES.map(pick), test: pick(CIFAR10_TEST_FILE) };
}

/** Writes the batch files into <folder>/cifar-10-batches-bin: the cache keeps them unpacked, so loads skip decompressing 170 MB. */
export async function unpackCifarArchive(archive: string, folder: string): Promise<void> {
  const { train, test } = await readCifarArchive(archive);
  await mkdir(join(folder, CIFAR10_FOLDER), { recursive: true });
  for (const entry of [...train, test]) await writeFile(join(folder, CIFAR10_FOLDER, entry.file), entry.bytes);
}
