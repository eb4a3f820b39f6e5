// Finding the checkpoint a run resumes from. The engine writes
// <checkpointDir>/step-NNNNNNNN[-partial]/ folders atomically (state.json last,
// then a rename) and prunes older ones. The database's record of checkpoints can
// lag the disk by one message when a worker is killed, so resume looks at the
// disk and takes the newest complete checkpoint that is not ahead of the metrics
// the database holds: the curve then continues with no step missing or doubled.
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

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

/** The newest checkpoint at or before `recordedStep` (the last step the database holds), or null. */
export function resumeCheckpoint(checkpointDir: string, recordedStep: number): CheckpointOnDisk | null {
  const usable = checkpointsOnDisk(checkpointDir).filter((c) => c.step > 0 && c.step <= recordedStep);
  return usable.length > 0 ? usable[usable.length - 1] : null;
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
