// A dataset's identity: a short hash of what the model will see (shape, class names,
// pixels and labels). Hashing decoded bytes (55 MB for Fashion-MNIST: ~50 ms) rather
// than files makes it the same whether the data came as .gz, raw, from Debian or a
// mirror, so two machines (or a resumed run) can check they train on the same data.
import { createHash } from 'node:crypto';
import type { Decoded } from './formats/format';

export function fingerprint(data: Decoded): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify({ inputShape: data.inputShape, classNames: data.classNames, train: data.train.count, test: data.test.count }));
  for (const part of [data.train, data.test]) {
    hash.update(part.images);
    hash.update(part.labels);
  }
  return hash.digest('hex').slice(0, 16);
}
