// Where each downloadable dataset is published and how a download is verified.
// (What a dataset is — classes, shape, format — is declared in shared/datasets.ts;
// its files' layout is its format's, in formats/.)
//
// Checksums: Fashion-MNIST's are SHA-256 of the *decompressed* IDX files, computed
// here from Debian's dataset-fashion-mnist package. The official .gz files differ
// from Debian's only in the gzip header (the official ones store the original file
// name), so hashing the content verifies either. MNIST's and CIFAR-10's files could
// not be obtained on the machine this was written on, so for them a download is
// checked by its exact published size and by decoding it (magic numbers, record
// sizes, image and label counts) — weaker than a hash, and said so in the docs.
import type { DatasetName } from '../../shared/datasets';
import { CIFAR10_ARCHIVE } from './formats/cifar10';

/** One file to download, and how to know it arrived intact. */
export interface DownloadFile {
  /** File name on the server and in the cache. */
  name: string;
  /** Published size of the file as served; null where it may legitimately vary. */
  sizeBytes: number | null;
  /** SHA-256 (hex) of the file's content after gunzip; null where no verified value is known. */
  contentSha256: string | null;
  /** Size used for the progress bar before the server says (may be approximate). */
  expectedBytes: number;
}

export interface DownloadSource {
  /** Tried in order; a file is fetched from `${base}${file.name}`. */
  baseUrls: string[];
  files: DownloadFile[];
}

export const DOWNLOAD_SOURCES: Partial<Record<DatasetName, DownloadSource>> = {
  'fashion-mnist': {
    // The official bucket named in github.com/zalandoresearch/fashion-mnist.
    baseUrls: ['http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/'],
    files: [
      {
        name: 'train-images-idx3-ubyte.gz',
        sizeBytes: null,
        contentSha256: 'c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888',
        expectedBytes: 26_421_880,
      },
      {
        name: 'train-labels-idx1-ubyte.gz',
        sizeBytes: null,
        contentSha256: 'bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9',
        expectedBytes: 29_515,
      },
      {
        name: 't10k-images-idx3-ubyte.gz',
        sizeBytes: null,
        contentSha256: '5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b',
        expectedBytes: 4_422_102,
      },
      {
        name: 't10k-labels-idx1-ubyte.gz',
        sizeBytes: null,
        contentSha256: '0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34',
        expectedBytes: 5_148,
      },
    ],
  },
  mnist: {
    // LeCun's original page now often refuses downloads; the PyTorch team's S3 copy is
    // the mirror torchvision uses, byte-identical to the originals.
    baseUrls: ['https://ossci-datasets.s3.amazonaws.com/mnist/', 'http://yann.lecun.com/exdb/mnist/'],
    files: [
      { name: 'train-images-idx3-ubyte.gz', sizeBytes: 9_912_422, contentSha256: null, expectedBytes: 9_912_422 },
      { name: 'train-labels-idx1-ubyte.gz', sizeBytes: 28_881, contentSha256: null, expectedBytes: 28_881 },
      { name: 't10k-images-idx3-ubyte.gz', sizeBytes: 1_648_877, contentSha256: null, expectedBytes: 1_648_877 },
      { name: 't10k-labels-idx1-ubyte.gz', sizeBytes: 4_542, contentSha256: null, expectedBytes: 4_542 },
    ],
  },
  cifar10: {
    baseUrls: ['https://www.cs.toronto.edu/~kriz/'],
    files: [{ name: CIFAR10_ARCHIVE, sizeBytes: 170_052_171, contentSha256: null, expectedBytes: 170_052_171 }],
  },
};

/** Debian's dataset packages install here (dataset-fashion-mnist → fashion-mnist/). */
export const SYSTEM_DATASET_ROOTS = ['/usr/share/datasets'];
