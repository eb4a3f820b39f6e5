// A checkpoint's manifest: the size and sha256 of every file in its folder,
// written last (before the folder is renamed into place). Whoever loads or
// resumes from a checkpoint verifies it first, so a damaged file is named as
// such ("weights.bin: sha256 mismatch") instead of surfacing as divergence or a
// tensor shape error, and nothing is deleted on the strength of a bad checkpoint.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const MANIFEST_FILE = 'manifest.json';
const MANIFEST_FORMAT = 'kerv-checkpoint-manifest';

interface Manifest {
  format: typeof MANIFEST_FORMAT;
  version: 1;
  files: Record<string, { bytes: number; sha256: string }>;
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Hashes every file of the (flat) checkpoint folder into manifest.json. */
export function writeCheckpointManifest(dir: string): void {
  const files: Manifest['files'] = {};
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isFile() || entry.name === MANIFEST_FILE) continue;
    const bytes = readFileSync(join(dir, entry.name));
    files[entry.name] = { bytes: bytes.length, sha256: sha256(bytes) };
  }
  const manifest: Manifest = { format: MANIFEST_FORMAT, version: 1, files };
  writeFileSync(join(dir, MANIFEST_FILE), JSON.stringify(manifest, null, 2));
}

export type CheckpointVerdict =
  | { ok: true; /** false for a checkpoint written before manifests existed (nothing to check against). */ verified: boolean }
  | { ok: false; file: string; problem: string };

/** Checks every file the manifest lists: present, same size, same sha256. */
export function verifyCheckpoint(dir: string): CheckpointVerdict {
  const manifestPath = join(dir, MANIFEST_FILE);
  let manifest: Manifest;
  try {
    manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { ok: true, verified: false };
    return { ok: false, file: manifestPath, problem: `${manifestPath} is unreadable (${(error as Error).message})` };
  }
  if (manifest?.format !== MANIFEST_FORMAT || !manifest.files || typeof manifest.files !== 'object') {
    return { ok: false, file: manifestPath, problem: `${manifestPath} is not a checkpoint manifest` };
  }
  for (const [name, expected] of Object.entries(manifest.files)) {
    const file = join(dir, name);
    if (name.includes('/') || name.includes('\\') || name.startsWith('.')) return { ok: false, file: manifestPath, problem: `${manifestPath} lists an invalid file name '${name}'` };
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch {
      return { ok: false, file, problem: `${file} is missing` };
    }
    if (bytes.length !== expected.bytes) return { ok: false, file, problem: `${file} has ${bytes.length} bytes, the manifest says ${expected.bytes} (truncated or replaced)` };
    if (sha256(bytes) !== expected.sha256) return { ok: false, file, problem: `${file} does not match its sha256 in the manifest (the file is corrupt)` };
  }
  return { ok: true, verified: true };
}
