// The checkpoint folders of a run, as the engine writes them (checkpoint.ts):
//   <checkpointDir>/step-00002532/          an epoch boundary
//   <checkpointDir>/step-00002600-partial/  a run stopped mid-epoch
//   <checkpointDir>/.tmp-…                  a checkpoint being written (renamed when complete)
// A folder is a complete checkpoint once its state.json is readable. Whoever
// lists, moves or prunes checkpoints (the service's resume, bundles, the cluster's
// transfer) uses these functions, so the format has one owner. No tfjs here: the
// service lists checkpoints without loading the engine.
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/** A checkpoint folder's name; the step has at most 12 digits (names from a bundle or Redis are checked against it). */
export const CHECKPOINT_FOLDER_NAME = /^step-(\d{1,12})(-partial)?$/;
/** The file that makes a folder a complete checkpoint (epoch, step, Rng states, config). */
export const CHECKPOINT_STATE_FILE = 'state.json';
/** Folders being written start with this; they are never read and are removed on prune. */
export const CHECKPOINT_TEMP_PREFIX = '.tmp-';

export function checkpointFolderName(step: number, partial: boolean): string {
  return `step-${String(step).padStart(8, '0')}${partial ? '-partial' : ''}`;
}

/** The step a folder name stands for, and whether it is mid-epoch; null for any other name. */
export function parseCheckpointFolderName(name: string): { step: number; partial: boolean } | null {
  const match = CHECKPOINT_FOLDER_NAME.exec(name);
  return match ? { step: Number(match[1]), partial: match[2] !== undefined } : null;
}

export interface CheckpointOnDisk {
  path: string;
  /** Global steps completed. */
  step: number;
  /** Epochs completed (a partial checkpoint sits inside epoch `epoch + 1`). */
  epoch: number;
  /** Written mid-epoch (a run stopped between epochs' ends). */
  partial: boolean;
}

/** The complete checkpoints in `checkpointDir`, oldest first (by step as state.json records it). */
export function checkpointsOnDisk(checkpointDir: string): CheckpointOnDisk[] {
  if (!existsSync(checkpointDir)) return [];
  const found: CheckpointOnDisk[] = [];
  for (const entry of readdirSync(checkpointDir, { withFileTypes: true })) {
    const name = entry.isDirectory() ? parseCheckpointFolderName(entry.name) : null;
    if (!name) continue;
    const path = join(checkpointDir, entry.name);
    try {
      const state = JSON.parse(readFileSync(join(path, CHECKPOINT_STATE_FILE), 'utf8')) as { step?: unknown; epoch?: unknown };
      if (typeof state.step === 'number' && typeof state.epoch === 'number') found.push({ path, step: state.step, epoch: state.epoch, partial: name.partial });
    } catch {
      // No readable state.json: not a complete checkpoint.
    }
  }
  return found.sort((a, b) => a.step - b.step);
}

/** Whether `folder` holds a complete checkpoint (its state file is there). */
export function isCompleteCheckpoint(folder: string): boolean {
  return existsSync(join(folder, CHECKPOINT_STATE_FILE));
}

/** Removes checkpoints after `step` (training a resumed run redoes) and half-written ones. */
export function discardCheckpointsAfter(checkpointDir: string, step: number): void {
  if (!existsSync(checkpointDir)) return;
  for (const entry of readdirSync(checkpointDir, { withFileTypes: true })) {
    const name = parseCheckpointFolderName(entry.name);
    if ((name && name.step > step) || entry.name.startsWith(CHECKPOINT_TEMP_PREFIX)) rmSync(join(checkpointDir, entry.name), { recursive: true, force: true });
  }
}

/**
 * Where a checkpoint sits, in the 1-based epochs every other message uses: a
 * checkpoint's `epoch` counts the epochs it completed, so a mid-epoch (partial)
 * one is inside the next.
 */
export function checkpointPosition(checkpoint: Pick<CheckpointOnDisk, 'epoch' | 'partial'>): string {
  return checkpoint.partial ? `in epoch ${checkpoint.epoch + 1}` : `end of epoch ${checkpoint.epoch}`;
}
