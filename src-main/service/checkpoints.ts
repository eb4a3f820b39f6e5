// Which checkpoint a run resumes from. The engine owns the checkpoint format
// (engine/train/checkpoint-folders.ts lists the folders, checkpoint-manifest.ts
// verifies their files); this is the service's policy over it. The database's
// record of progress can lag the disk by one message when a worker is killed, so
// resume takes the newest complete checkpoint that is not ahead of the metrics
// the database holds (the curve then continues with no step missing or doubled)
// and whose files match their manifest; a corrupt one is skipped for the
// previous good one, and named.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { checkpointsOnDisk, type CheckpointOnDisk } from '../engine/train/checkpoint-folders';
import { verifyCheckpoint, type CheckpointVerdict } from '../engine/train/checkpoint-manifest';
import type { Store } from '../store/store';
import type { DataPaths } from './paths';

/**
 * Where run `id` keeps its checkpoints: the folder `kerv train --checkpoint-dir`
 * recorded it with, else its run folder's. Everything that reads or continues a
 * run's checkpoints (resume, the run page's Resume, model export, bundles, the
 * cluster) asks here, so a run trained with --checkpoint-dir is not taken for one
 * without checkpoints (and resumed from step 0).
 */
export function runCheckpointDir(store: Store, paths: DataPaths, id: number): string {
  return store.runs.externalCheckpointDir(id) ?? paths.checkpointDir(id);
}

// Verifying hashes every byte (tens of MB for a big model); the run page asks often,
// so verdicts are kept while no file of the folder changed (size and mtime).
const verdicts = new Map<string, { key: string; verdict: CheckpointVerdict }>();

function folderFingerprint(path: string): string {
  return readdirSync(path)
    .sort()
    .map((name) => {
      const s = statSync(join(path, name));
      return `${name}:${s.size}:${s.mtimeMs}`;
    })
    .join('|');
}

function verifiedVerdict(path: string): CheckpointVerdict {
  const key = folderFingerprint(path);
  const cached = verdicts.get(path);
  if (cached && cached.key === key) return cached.verdict;
  const verdict = verifyCheckpoint(path);
  verdicts.set(path, { key, verdict });
  return verdict;
}

export interface ResumeChoice {
  /** The newest good checkpoint at or before the recorded step, or null. */
  checkpoint: CheckpointOnDisk | null;
  /** Newer checkpoints that were skipped because a file is damaged. */
  corrupt: { checkpoint: CheckpointOnDisk; problem: string }[];
}

/** Picks the checkpoint to resume from; verifies each candidate, newest first, and names the corrupt ones. */
export function chooseResumeCheckpoint(checkpointDir: string, recordedStep: number): ResumeChoice {
  const candidates = checkpointsOnDisk(checkpointDir).filter((c) => c.step > 0 && c.step <= recordedStep).reverse();
  const corrupt: ResumeChoice['corrupt'] = [];
  for (const checkpoint of candidates) {
    const verdict = verifiedVerdict(checkpoint.path);
    if (verdict.ok) return { checkpoint, corrupt };
    corrupt.push({ checkpoint, problem: verdict.problem });
  }
  return { checkpoint: null, corrupt };
}

/** The newest good checkpoint at or before `recordedStep` (the last step the database holds), or null. */
export function resumeCheckpoint(checkpointDir: string, recordedStep: number): CheckpointOnDisk | null {
  return chooseResumeCheckpoint(checkpointDir, recordedStep).checkpoint;
}
