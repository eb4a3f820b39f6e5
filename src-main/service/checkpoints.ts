// Finding the checkpoint a run resumes from. The engine writes
// <checkpointDir>/step-NNNNNNNN[-partial]/ folders atomically (state.json and a
// manifest of sha256 sums last, then a rename) and prunes older ones. The
// database's record of checkpoints can lag the disk by one message when a worker
// is killed, so resume looks at the disk and takes the newest complete checkpoint
// that is not ahead of the metrics the database holds (the curve then continues
// with no step missing or doubled) and whose files match their manifest; a
// corrupt one is skipped for the previous good one, and named.
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { verifyCheckpoint, type CheckpointVerdict } from '../engine/train/checkpoint-manifest';

export { verifyCheckpoint };

export interface CheckpointOnDisk {
  path: string;
  step: number;
  epoch: number;
}

const CHECKPOINT_DIR = /^step-(\d+)(-partial)?$/;

export function checkpointsOnDisk(checkpointDir: string): CheckpointOnDisk[] {
  if (!existsSync(checkpointDir)) return [];
  const found: CheckpointOnDisk[] = [];
  for (const entry of readdirSync(checkpointDir, { withFileTypes: true })) {
    if (!entry.isDirectory() || !CHECKPOINT_DIR.test(entry.name)) continue;
    const path = join(checkpointDir, entry.name);
    try {
      const state = JSON.parse(readFileSync(join(path, 'state.json'), 'utf8')) as { step?: unknown; epoch?: unknown };
      if (typeof state.step === 'number' && typeof state.epoch === 'number') found.push({ path, step: state.step, epoch: state.epoch });
    } catch {
      // No readable state.json: not a complete checkpoint.
    }
  }
  return found.sort((a, b) => a.step - b.step);
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

/** Removes checkpoint folders after `step` (they describe training the resumed run will redo). */
export function discardCheckpointsAfter(checkpointDir: string, step: number): void {
  if (!existsSync(checkpointDir)) return;
  for (const entry of readdirSync(checkpointDir, { withFileTypes: true })) {
    const m = CHECKPOINT_DIR.exec(entry.name);
    const isTemp = entry.name.startsWith('.tmp-');
    if ((m && Number(m[1]) > step) || isTemp) rmSync(join(checkpointDir, entry.name), { recursive: true, force: true });
  }
}
